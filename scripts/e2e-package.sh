#!/usr/bin/env bash
# The Debian package end to end (CI runs it as root; it installs and removes the
# package on this machine):
#
#  1. build it (scripts/package-deb.sh) and check it: desktop-file-validate,
#     appstreamcli validate (offline), lintian (no errors), the metainfo's release and
#     screenshots, and every file it ships is in a path of its own;
#  2. `dpkg -i` it, and check what changed on disk is exactly its files, the man pages
#     open, and bash, zsh and fish find and use the completions where it put them;
#  3. start Pollscope from its installed menu entry (scripts/e2e-gui.sh --from-menu):
#     window, demo events, screenshot target/e2e/menu-shot.png, clean exit; then check
#     every shared library the app loaded comes from a package the .deb depends on;
#  4. `dpkg --purge` it, and check nothing is left on disk but the user's files (the
#     config in ~/.config/pollscope and the log in ~/.local/state/pollscope).
#
#   scripts/e2e-package.sh              build the package, then all of the above
#   scripts/e2e-package.sh --deb FILE   check a package built already
#
# Reports go to target/e2e/ (lintian.txt, package-files.txt, …). Exits non-zero with a
# message naming the step that failed.
set -euo pipefail
cd "$(dirname "$0")/.."

deb=""
while (($#)); do
    case $1 in
        --deb) deb=$2; shift ;;
        -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "e2e-package: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

OUT=target/e2e
# Where a Debian package of a desktop app may put files (all its own names).
ALLOWED_PATHS='^\./usr/bin/pollscope$|^\./usr/share/applications/pollscope\.desktop$|^\./usr/share/metainfo/io\.github\.pollscope\.pollscope\.metainfo\.xml$|^\./usr/share/icons/hicolor/(scalable|[0-9]+x[0-9]+)/apps/pollscope\.(svg|png)$|^\./usr/share/man/man1/pollscope(-[a-z-]+)?\.1\.gz$|^\./usr/share/bash-completion/completions/pollscope$|^\./usr/share/zsh/vendor-completions/_pollscope$|^\./usr/share/fish/vendor_completions\.d/pollscope\.fish$|^\./usr/share/doc/pollscope/(copyright|changelog\.Debian\.gz)$'
# System caches that dpkg triggers regenerate from what is installed, and dpkg's own
# bookkeeping: they change on install and removal, whoever the package is. Also X
# servers' compiled keymaps (/var/lib/xkb/server-N.xkm), which any Xvfb on the machine
# writes and removes as it starts and stops.
CACHES='^/var/lib/dpkg/|^/var/lib/xkb/|^/var/log/|^/var/cache/man/|^/var/cache/debconf/|^/usr/share/icons/hicolor/icon-theme\.cache$|^/usr/share/applications/mimeinfo\.cache$|^/etc/ld\.so\.cache$'

say() { printf 'e2e-package: %s\n' "$*"; }
fail() {
    echo "e2e-package: FAIL: $*" >&2
    exit 1
}

[[ $(id -u) -eq 0 ]] || fail "run as root: it installs and removes the package on this machine"

# --- tools ----------------------------------------------------------------------------
scripts/install-package-tools.sh || fail "cannot install the packaging tools"
if dpkg-query -W pollscope >/dev/null 2>&1; then
    fail "a pollscope package is installed already: dpkg --purge pollscope first"
fi

mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- 1. build and check the package -----------------------------------------------------
scripts/render-icons.sh --check || fail "the icon PNGs are stale"
if [[ -z $deb ]]; then
    start=$SECONDS
    deb=$(scripts/package-deb.sh | tail -n 1)
    say "built $deb in $((SECONDS - start)) s"
fi
[[ -f $deb ]] || fail "no package $deb"
version=$(dpkg-deb -f "$deb" Version)
upstream=${version%-*}

dpkg-deb -c "$deb" | tee "$OUT/package-files.txt"
dpkg-deb -f "$deb" | tee "$OUT/package-control.txt"
outside=$(awk '{print $6}' "$OUT/package-files.txt" | grep -v '/$' | grep -Ev "$ALLOWED_PATHS" || true)
[[ -z $outside ]] || fail "files outside the package's own paths: $outside"
for f in ./usr/bin/pollscope ./usr/share/applications/pollscope.desktop \
    ./usr/share/metainfo/io.github.pollscope.pollscope.metainfo.xml \
    ./usr/share/icons/hicolor/scalable/apps/pollscope.svg \
    ./usr/share/icons/hicolor/48x48/apps/pollscope.png ./usr/share/man/man1/pollscope.1.gz \
    ./usr/share/man/man1/pollscope-watch.1.gz ./usr/share/bash-completion/completions/pollscope \
    ./usr/share/zsh/vendor-completions/_pollscope ./usr/share/fish/vendor_completions.d/pollscope.fish; do
    awk '{print $6}' "$OUT/package-files.txt" | grep -qx "$f" || fail "the package lacks $f"
done

dpkg-deb -x "$deb" "$WORK/root"
say "desktop-file-validate"
desktop-file-validate "$WORK/root/usr/share/applications/pollscope.desktop" \
    >"$OUT/desktop-file-validate.txt" 2>&1 || true
cat "$OUT/desktop-file-validate.txt"
[[ ! -s $OUT/desktop-file-validate.txt ]] || fail "desktop-file-validate reported the above"
say "appstreamcli validate --no-net"
metainfo="$WORK/root/usr/share/metainfo/io.github.pollscope.pollscope.metainfo.xml"
appstreamcli validate --no-net --pedantic "$metainfo" 2>&1 | tee "$OUT/appstreamcli.txt" \
    || fail "appstreamcli validate failed"
changelog=$(dpkg-parsechangelog -l assets/debian/changelog -S Version)
[[ $changelog == "$version" ]] \
    || fail "assets/debian/changelog's newest entry is $changelog, the package's version $version"
newest=$(grep -o '<release version="[^"]*"' "$metainfo" | head -n 1 | cut -d'"' -f2)
[[ $newest == "$upstream" ]] \
    || fail "the metainfo's newest release is $newest, the package's version $upstream"
shots=$(grep -o '<image[^>]*>[^<]*</image>' "$metainfo" | sed 's/<[^>]*>//g')
[[ -n $shots ]] || fail "the metainfo has no screenshots"
for url in $shots; do
    name=docs/${url##*/}
    [[ $url == https://*/main/$name ]] || fail "screenshot $url is not a docs/ file on main"
    [[ -f $name ]] || fail "screenshot $url: $name does not exist"
    grep -q "($name)" README.md || fail "screenshot $url: README.md does not show $name"
done
say "lintian"
status=0
lintian --info "$deb" >"$OUT/lintian.txt" 2>&1 || status=$?
cat "$OUT/lintian.txt"
((status <= 1)) || fail "lintian itself failed (status $status)"
errors=$(grep -c '^E: ' "$OUT/lintian.txt" || true)
((errors == 0)) || fail "lintian: $errors error(s)"

# --- 2. install ----------------------------------------------------------------------------
snapshot() {
    find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
        -o -path /var/tmp -o -path /work -o -path /root/.cargo -o -path /root/.rustup \
        -o -path "$PWD" \) -prune -o -print 2>/dev/null | grep -Ev "$CACHES" | sort
}
snapshot >"$WORK/before"
say "dpkg -i $deb"
dpkg -i "$deb" || fail "dpkg -i failed"
snapshot >"$WORK/installed"
dpkg -L pollscope | sort >"$WORK/listed"
added=$(comm -13 "$WORK/before" "$WORK/installed" | comm -23 - "$WORK/listed" || true)
[[ -z $added ]] || fail "installing added files that are not the package's: $added"
removed=$(comm -23 "$WORK/before" "$WORK/installed" || true)
[[ -z $removed ]] || fail "installing removed: $removed"

[[ $(command -v pollscope) == /usr/bin/pollscope ]] || fail "pollscope is not /usr/bin/pollscope on PATH"
pollscope --version | grep -qx "pollscope $upstream" || fail "pollscope --version: $(pollscope --version)"
man -w pollscope >/dev/null || fail "man cannot find pollscope(1)"
MANPAGER=cat MANWIDTH=100 man pollscope-watch 2>/dev/null | grep -q -- '--no-keep-alive' \
    || fail "man pollscope-watch lacks --no-keep-alive"

say "completions: bash"
bash_out=$(bash --norc -c '
    source /usr/share/bash-completion/bash_completion
    _completion_loader pollscope   # what bash-completion does at the first Tab
    complete -p pollscope || exit 1
    fn=$(complete -p pollscope | sed -n "s/.*-F \([^ ]*\).*/\1/p")
    COMP_WORDS=(pollscope wat); COMP_CWORD=1; COMP_LINE="pollscope wat"; COMP_POINT=13
    "$fn" pollscope wat pollscope; echo "subcommands: ${COMPREPLY[*]}"
    COMP_WORDS=(pollscope watch --no-k); COMP_CWORD=2; COMP_LINE="pollscope watch --no-k"; COMP_POINT=22
    "$fn" pollscope --no-k watch; echo "flags: ${COMPREPLY[*]}"') || fail "bash did not load the completions"
echo "$bash_out"
grep -q '^subcommands: watch$' <<<"$bash_out" || fail "bash: 'pollscope wat<Tab>' did not give watch"
grep -q '^flags: --no-keep-alive$' <<<"$bash_out" || fail "bash: 'pollscope watch --no-k<Tab>' did not give --no-keep-alive"
say "completions: zsh"
zsh_out=$(zsh -c 'autoload -U compinit && compinit -u -D && print -r -- "${_comps[pollscope]}"') \
    || fail "zsh compinit failed"
[[ $zsh_out == _pollscope ]] || fail "zsh: compinit does not map pollscope to _pollscope (got '$zsh_out')"
zsh -n /usr/share/zsh/vendor-completions/_pollscope || fail "zsh: _pollscope has syntax errors"
say "completions: fish"
fish_out=$(HOME="$WORK" XDG_CONFIG_HOME="$WORK/.config" fish -c 'complete -C"pollscope wat"; complete -C"pollscope watch --no-k"') \
    || fail "fish failed"
echo "$fish_out"
grep -q '^watch' <<<"$fish_out" || fail "fish: 'pollscope wat<Tab>' did not give watch"
grep -q '^--no-keep-alive' <<<"$fish_out" || fail "fish: 'pollscope watch --no-k<Tab>' did not give --no-keep-alive"

# The shells above once replaced /dev/null (zsh's compinit -d /dev/null mv'd its dump
# file onto it), which broke every later cargo run on the machine.
[[ -c /dev/null ]] || fail "/dev/null is no longer the null device (a step above replaced it)"

# --- 3. start it from the menu entry ----------------------------------------------------------
home="$WORK/home"
scripts/e2e-gui.sh --from-menu --home "$home" || fail "the app started from its menu entry failed (above)"

say "shared libraries the app loaded, and the packages they come from"
python3 - "$OUT/menu.maps" <<'EOF' | tee "$OUT/libraries.txt" || fail "a library the app loads comes from a package the .deb does not depend on (above)"
import re, subprocess, sys

def query(fmt, pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f", fmt, pkg], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None

libs = sorted({l.split()[-1] for l in open(sys.argv[1]) if re.search(r"\.so[.\d]*$", l.strip())})
# Every package the installed pollscope needs, following Depends and Pre-Depends
# (each installed alternative of "a | b"), as on a machine that has only those.
closure, todo = set(), ["pollscope"]
while todo:
    pkg = todo.pop()
    if pkg in closure:
        continue
    closure.add(pkg)
    deps = query("${Depends}, ${Pre-Depends}", pkg) or ""
    for alt in re.split(r"[,|]", deps):
        name = alt.strip().split(" ")[0].split(":")[0]
        if name and query("${Status}", name) and "ok installed" in query("${Status}", name):
            todo.append(name)
bad = 0
def owners(path):
    # With merged /usr, dpkg knows many libraries by their /lib path.
    for p in (path, path[len("/usr"):] if path.startswith("/usr/") else None):
        r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True) if p else None
        if r and r.returncode == 0:
            return {o.split(":")[0].strip() for o in r.stdout.split(": ")[0].split(",")}
    return set()

for lib in libs:
    owners_ = owners(lib)
    ok = owners_ & closure
    print(f"{'ok ' if ok else 'BAD'} {lib}  ({', '.join(sorted(owners_)) or 'no package'})")
    bad += not ok
print(f"{len(libs)} libraries, {bad} from packages outside pollscope's dependencies")
sys.exit(1 if bad else 0)
EOF

# --- 4. remove ------------------------------------------------------------------------------
say "dpkg --purge pollscope"
dpkg --purge pollscope || fail "dpkg --purge failed"
! dpkg-query -W pollscope >/dev/null 2>&1 || fail "dpkg still knows pollscope"
snapshot >"$WORK/after"
left=$(comm -13 "$WORK/before" "$WORK/after" | grep -v "^$WORK" || true)
[[ -z $left ]] || fail "left behind after dpkg --purge: $left"
gone=$(comm -23 "$WORK/before" "$WORK/after" || true)
[[ -z $gone ]] || fail "removed by dpkg --purge but there before: $gone"
# The user's own files stay (dpkg never touches a home): the config, and the app's log.
others=$(cd "$home" && find . -type f | grep -Ev '^\./\.config/pollscope/|^\./\.local/state/pollscope/' || true)
[[ -z $others ]] || fail "the app wrote outside its config and state dirs in the home: $others"
[[ -s $home/.config/pollscope/profiles.json ]] || fail "the user's config did not survive the removal"
say "the user's files after removal: $(cd "$home" && find . -type f | sort | tr '\n' ' ')"

[[ -c /dev/null ]] || fail "/dev/null is no longer the null device (a step above replaced it)"
say "OK: $deb ($(stat -c %s "$deb") bytes) validated, installed, started from its menu entry, removed; screenshot $OUT/menu-shot.png"
