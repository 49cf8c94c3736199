#!/bin/sh
# Writes a tool's man page: its description from docs/man/TOOL.md, and its options from the
# tool's own --help texts (every command's, for ganrt), so the page cannot drift from the
# program. gan(5) is docs/language.md itself.
# Usage: tools/gen-man.sh ganc|ganrt|gan BINARY_DIR OUT
set -eu
tool=$1 bindir=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's/^#define GAN_VERSION "\(.*\)"/\1/p' "$here/../common/version.h")
# the date of the sources, not of the build: the same tree makes the same page
date=$(git -C "$here/.." log -1 --format=%cs 2>/dev/null || true)
[ -n "$date" ] || date=$(date -u +%Y-%m-%d)
verbatim() { # the text of a --help, as it prints
    echo ".PP"; echo ".nf"
    sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
    echo ".fi"
}
tmp="$out.tmp.$$"
{
case $tool in
gan)
    echo ".TH GAN 5 \"$date\" \"ganc $version\" \"File formats\""
    echo ".SH NAME"
    echo "gan \\- the .gan model language of ganc"
    sh "$here/md2man.sh" "$here/../docs/language.md" 1
    echo ".SH \"SEE ALSO\""
    echo ".BR ganc (1),"
    echo ".BR ganrt (1)"
    ;;
ganc)
    echo ".TH GANC 1 \"$date\" \"ganc $version\" \"User commands\""
    echo ".SH NAME"
    echo "ganc \\- check and compile a .gan model into a model.bin program"
    sh "$here/md2man.sh" "$here/../docs/man/ganc.md" 1
    echo ".SH OPTIONS"
    "$bindir/ganc" --help | verbatim
    ;;
ganrt)
    echo ".TH GANRT 1 \"$date\" \"ganrt $version\" \"User commands\""
    echo ".SH NAME"
    echo "ganrt \\- train compiled GAN models and draw images from them"
    sh "$here/md2man.sh" "$here/../docs/man/ganrt.md" 1
    echo ".SH COMMANDS"
    "$bindir/ganrt" --help | verbatim
    for c in $("$bindir/ganrt" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
                                            on && /^  [a-z]/ { print $1 }'); do
        echo ".SS \"ganrt $c\""
        "$bindir/ganrt" "$c" --help | verbatim
        for s in $("$bindir/ganrt" "$c" --help | awk '/^commands:/ { on = 1; next }
                                                       on && /^$/ { exit } on && /^  [a-z]/ { print $1 }'); do
            echo ".SS \"ganrt $c $s\""
            "$bindir/ganrt" "$c" "$s" --help | verbatim
        done
    done
    ;;
*) echo "gen-man: unknown page $tool" >&2; exit 2 ;;
esac
if [ "$tool" != gan ]; then
    echo ".SH \"SEE ALSO\""
    [ "$tool" = ganc ] && echo ".BR ganrt (1)," || echo ".BR ganc (1),"
    echo ".BR gan (5)"
fi
} >"$tmp"
mv "$tmp" "$out"
