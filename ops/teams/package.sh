#!/usr/bin/env bash
# Builds the Teams app package (a zip of manifest.json and the two icons) for upload in the Teams admin centre.
#   ops/teams/package.sh [VERSION]   VERSION: a file under releases/ (default: the current manifest.json)
# Placeholders {{...}} are replaced from the environment: TEAMS_APP_ID, BOT_APP_ID, GRAPH_CLIENT_ID, PUBLIC_HOST.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source_manifest="manifest.json"
[ $# -ge 1 ] && source_manifest="releases/$1.json"
[ -f "$source_manifest" ] || { echo "no manifest $source_manifest" >&2; exit 2; }
for var in TEAMS_APP_ID BOT_APP_ID GRAPH_CLIENT_ID PUBLIC_HOST; do
  [ -n "${!var:-}" ] || { echo "set $var" >&2; exit 2; }
done
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
sed -e "s/{{TEAMS_APP_ID}}/$TEAMS_APP_ID/g" -e "s/{{BOT_APP_ID}}/$BOT_APP_ID/g" \
    -e "s/{{GRAPH_CLIENT_ID}}/$GRAPH_CLIENT_ID/g" -e "s/{{PUBLIC_HOST}}/$PUBLIC_HOST/g" "$source_manifest" > "$work/manifest.json"
if grep -q '{{' "$work/manifest.json"; then echo "unreplaced placeholder in $source_manifest" >&2; exit 2; fi
cp color.png outline.png "$work/"
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$work/manifest.json")"
out="$(cd ../.. && pwd)/target/teams-app-$version.zip"
mkdir -p "$(dirname "$out")"
(cd "$work" && python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); [z.write(f) for f in ['manifest.json','color.png','outline.png']]" "$out")
echo "$out"
