"""`python3 -m stacktool COMMAND`, with scripts/ on the path."""
from stacktool.cli import main

main()
