#!/usr/bin/env bash
# Prints the path of a CPython 3.10 interpreter (Rasa 3.6 supports 3.8-3.10 only), or
# fails with one line saying what to install.
set -u
for cand in python3.10 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)"/versions/3.10.*/bin/python3.10 "$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  [ -n "$cand" ] || continue
  path=$(command -v "$cand" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
echo "error: CPython 3.10 not found (Rasa 3.6 needs 3.10). Install it, e.g. 'pyenv install 3.10' or Debian's python3.10, then run make again." >&2
exit 1
