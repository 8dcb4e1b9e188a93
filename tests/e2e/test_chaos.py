"""`just chaos`, bounded, against the e2e stack: random crashes, pauses,
restarts and scaling under load cost no request, and the stack ends as it began."""
from __future__ import annotations

import stack
from harness import served_by


def test_three_rounds_of_chaos_cost_no_request_and_end_at_five_healthy_replicas(running_stack):
    result = running_stack.just("chaos", "3", check=False)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len([line for line in lines if line.startswith("round ")]) == 3
    assert ", 0 errors" in lines[-1], lines[-1]
    replicas = running_stack.replicas()
    assert len(replicas) == 5
    assert all(stack.health(c) == "healthy" for c in replicas)
    assert len(served_by(running_stack, 50)) == 5
