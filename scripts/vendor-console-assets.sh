#!/usr/bin/env bash
# Vendors the browser libraries used by the server-rendered web console into
# src/console/assets/vendor/<package>/, taken unmodified from the packages'
# released npm tarballs, together with their licence files.
#
# Each tarball is fetched with curl from the npm registry and checked against the
# sha512 `dist.integrity` pinned below; the vendor folder is touched only after all
# packages have been downloaded and verified. Only the listed files are kept; each
# package folder is replaced as a whole, so re-running the script with unchanged
# pins leaves the tree byte-for-byte identical.
#
# To upgrade a package: change its version and integrity in the table below, then
# run `bash scripts/vendor-console-assets.sh`. The values come from
#     npm view <package>@<version> dist.integrity
# (or https://registry.npmjs.org/<package>/<version>, field dist.integrity); to
# find the newest release in a major line, e.g. `npm view htmx.org@2 version`.
# Needs only bash, curl, tar, gzip and coreutils; npm itself is not used.
set -euo pipefail
cd "$(dirname "$0")/.."

registry=${NPM_REGISTRY:-https://registry.npmjs.org}
dest=src/console/assets/vendor

# --- pins -------------------------------------------------------------------
# One line per package: name version integrity
pins=(
    "htmx.org 2.0.11 sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="
    "leaflet 1.9.4 sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="
    "leaflet.markercluster 1.5.3 sha512-vPTw/Bndq7eQHjLBVlWpnGeLa3t+3zGiuM7fJwCkiMFq+nmRuG3RI3f7f4N4TDX7T4NpbAXpR2+NTRSEGfCSeA=="
    "axe-core 4.14.1 sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)

# Files to keep, as paths inside the tarball's package/ directory. A leading
# "dist/" is dropped in the vendor folder (so leaflet.css still finds images/).
# A leading "?" marks a file that is copied only if the release contains it.
files_for() {
    case $1 in
        htmx.org)
            echo dist/htmx.min.js LICENSE ;;
        leaflet)
            echo dist/leaflet.js dist/leaflet.css \
                dist/images/marker-icon.png dist/images/marker-icon-2x.png \
                dist/images/marker-shadow.png dist/images/layers.png \
                dist/images/layers-2x.png LICENSE ;;
        leaflet.markercluster)
            echo dist/leaflet.markercluster.js dist/MarkerCluster.css \
                dist/MarkerCluster.Default.css MIT-LICENCE.txt ;;
        axe-core)
            echo axe.min.js LICENSE '?LICENSE-3RD-PARTY.txt' ;;
        *)
            echo "no file list for $1" >&2; return 1 ;;
    esac
}

# One-line description for the generated README.
describe() {
    case $1 in
        htmx.org) echo "HTML-attribute driven AJAX, used for partial page updates in the console." ;;
        leaflet) echo "Interactive map library (script, stylesheet and default marker/layer images)." ;;
        leaflet.markercluster) echo "Leaflet plugin that clusters nearby markers on the map." ;;
        axe-core) echo "Accessibility rule engine, loaded for accessibility checks of console pages." ;;
    esac
}

# --- helpers ----------------------------------------------------------------
sha512_hex() {
    if command -v sha512sum >/dev/null; then
        sha512sum "$1" | cut -d' ' -f1
    else
        shasum -a 512 "$1" | cut -d' ' -f1
    fi
}

# "sha512-<base64>" -> lowercase hex digest
integrity_hex() {
    local b64=${1#sha512-}
    [[ $b64 != "$1" ]] || { echo "unsupported integrity format: $1" >&2; return 1; }
    printf '%s' "$b64" | base64 -d | od -An -v -tx1 | tr -d ' \n'
}

# The "license" field of an extracted package.json.
license_of() {
    sed -n 's/^[[:space:]]*"license"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -n1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
readme_rows=""

for pin in "${pins[@]}"; do
    read -r name version integrity <<<"$pin"
    url="$registry/$name/-/${name##*/}-$version.tgz"
    tgz="$work/$name-$version.tgz"
    echo "==> fetching $name@$version"

    curl -fsSL --retry 3 --proto '=https' -o "$tgz" "$url"

    want=$(integrity_hex "$integrity")
    got=$(sha512_hex "$tgz")
    if [[ $want != "$got" ]]; then
        echo "integrity mismatch for $name@$version ($url)" >&2
        echo "  pinned:     $integrity" >&2
        echo "  downloaded: sha512 hex $got" >&2
        exit 1
    fi

    src="$work/$name-src"
    mkdir -p "$src"
    tar -xzf "$tgz" -C "$src"
    pkg="$src/package"
    grep -Eq "\"version\"[[:space:]]*:[[:space:]]*\"$version\"" "$pkg/package.json" \
        || { echo "$name tarball does not contain version $version" >&2; exit 1; }
    license=$(license_of "$pkg/package.json")

    stage="$work/$name-out"
    mkdir -p "$stage"
    list=$(files_for "$name")
    read -ra wanted <<<"$list"
    for f in "${wanted[@]}"; do
        optional=false
        if [[ $f == \?* ]]; then optional=true; f=${f#\?}; fi
        if [[ ! -f $pkg/$f ]]; then
            $optional && continue
            echo "$name@$version has no $f" >&2; exit 1
        fi
        [[ -s $pkg/$f ]] || { echo "$name@$version: $f is empty" >&2; exit 1; }
        out="$stage/${f#dist/}"
        mkdir -p "$(dirname "$out")"
        cp "$pkg/$f" "$out"
        chmod 644 "$out"
    done
    printf '%s@%s\n%s\n' "$name" "$version" "$url" >"$stage/VERSION"

    readme_rows+="| \`$name/\` | $version | $license | $(describe "$name") |"$'\n'
done

# Everything downloaded and verified: only now touch the repository.
mkdir -p "$dest"
for pin in "${pins[@]}"; do
    read -r name _ <<<"$pin"
    rm -rf "${dest:?}/$name"
    cp -R "$work/$name-out" "$dest/$name"
    find "$dest/$name" -type f -exec ls -l {} + | awk '{print "    " $5 "\t" $NF}'
done

cat >"$dest/README.md" <<EOF
# Vendored browser libraries for the web console

Generated by \`scripts/vendor-console-assets.sh\`; do not edit these files by hand.

Each folder holds files copied unmodified from the package's released npm tarball
(from $registry), plus the package's own licence file(s) and a \`VERSION\` file with
\`name@version\` and the tarball URL. Nothing else from the packages is kept
(no sources, source maps or examples).

| Folder | Version | Licence | What it is |
| --- | --- | --- | --- |
${readme_rows}
Licence names are the \`license\` field of each package's \`package.json\`; the full
texts are in the folders (\`LICENSE\`, or \`MIT-LICENCE.txt\` for leaflet.markercluster;
axe-core also ships \`LICENSE-3RD-PARTY.txt\` for code it bundles).

## Refreshing or upgrading

Edit the pinned version and \`dist.integrity\` (sha512) of the package in
\`scripts/vendor-console-assets.sh\`, then run

    bash scripts/vendor-console-assets.sh

The script downloads each tarball with curl, refuses it unless its sha512 matches the
pinned integrity, and replaces the package's folder here. Running it again with the
same pins produces identical files. The integrity of a release is shown by
\`npm view <package>@<version> dist.integrity\`.
EOF
echo "==> wrote $dest/README.md"
