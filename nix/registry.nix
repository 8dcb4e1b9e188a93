# The `registry` option: both images named by digest, from what `just push` pushed.
#
# Builtins only, like nix/stack.nix, which checks the option (its type is
# nix/options.nix's) and asks here for the images' names.
let
  inherit (builtins)
    all
    attrValues
    filter
    head
    isAttrs
    isString
    match
    ;
  inherit (import ./options.nix) show;
in
{
  # The type of the `digests` option: .stack/digests.json, as nix/render.nix reads it.
  digests = {
    check =
      v:
      v == null
      || isAttrs v
        && isString (v.registry or null)
        && isAttrs (v.digests or null)
        && all (d: isString d && match "sha256:[0-9a-f]{64}" d != null) (attrValues v.digests);
    expected = ''what `just push` writes to .stack/digests.json: { registry = "…"; digests = { hostinfo = "sha256:…"; … }; }'';
  };

  # { appImage; lbImage; } by digest in `registry`, or { } without one, so
  # that every node runs the bits pushed. `options` are the ones given, where
  # an image set by hand would contradict the registry.
  pinned =
    {
      images,
      registry,
      digests,
      options,
    }:
    let
      fail = message: throw "hostinfo stack: option 'registry' is ${show registry}, but ${message}";
      byDigest =
        name:
        if digests == null then
          fail "no digests were pushed there: run `just push ${registry}` first (it writes .stack/digests.json)"
        else if digests.registry != registry then
          fail "the digests in .stack/digests.json were pushed to ${show digests.registry}: run `just push ${registry}` first"
        else if !(digests.digests ? ${name}) then
          fail "no digest of ${name} was pushed: run `just push ${registry}` first"
        else
          "${registry}/${name}@${digests.digests.${name}}";
      given = filter (name: options ? ${name}) [
        "appImage"
        "lbImage"
      ];
    in
    if registry == null then
      { }
    else if given != [ ] then
      throw "hostinfo stack: option '${head given}' cannot be set with option 'registry': the registry names both images by digest"
    else
      {
        appImage = byDigest images.app.name;
        lbImage = byDigest images.lb.name;
      };
}
