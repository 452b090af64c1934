#!/usr/bin/env bash
# Checks the house style of every git-tracked Swift file (Sources/, Tests/, Package.swift) and prints
# `file:line: rule: detail` for each violation; exits 1 if there is any. Not part of `make test`.
#
#   scripts/style.sh          (or `make style`)
#
# swift-format's pretty printer re-indents the continuation lines the code aligns under the opening
# parenthesis, so this check stands in for a .swift-format configuration (the README's "Code style"). Rules:
#   tab          no tab characters
#   trailing     no trailing whitespace
#   length       at most 140 characters a line (characters, not bytes). A longer line is allowed only if it
#                contains a string literal (`"`) or a URL (`http`): prose in messages and test names is kept
#                whole for grep-ability. A comment line (starting with `//`) over 140 is allowed only with a URL.
#   imports      the first contiguous block of top-level `import` lines is sorted in byte order (as `sort` in
#                the C locale) without duplicates; a later block after a blank line is not part of it.
# The lines inside a multi-line string literal (between the lines that open and close `"""`) are content,
# not layout, and are not checked: a Markdown fixture keeps its two-space hard line breaks.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -d '' CHECK <<'PY' || true
import sys

MAX = 140
files = [f for f in sys.stdin.buffer.read().decode().split("\0") if f]
violations = 0

def report(path, number, rule, detail):
    global violations
    violations += 1
    print(f"{path}:{number}: {rule}: {detail}")

for path in files:
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    in_literal = False
    for number, line in enumerate(lines, 1):
        inside = in_literal
        if line.count('"""') % 2 == 1:
            in_literal = not in_literal
        if inside and in_literal:
            continue
        if "\t" in line:
            report(path, number, "tab", "tab character")
        if line != line.rstrip():
            report(path, number, "trailing", "trailing whitespace")
        if len(line) > MAX:
            comment = line.lstrip().startswith("//")
            allowed = "http" in line or (not comment and '"' in line)
            if not allowed:
                kind = "comment" if comment else "code"
                report(path, number, "length", f"{kind} line of {len(line)} characters (max {MAX})")
    imports = []
    for number, line in enumerate(lines, 1):
        if line.startswith("import "):
            imports.append((number, line.rstrip()))
        elif imports:
            break
    for (number, line), (_, previous) in zip(imports[1:], imports):
        if line.encode() < previous.encode():
            report(path, number, "imports", f"`{line}` after `{previous}` (sort the first import block)")
        elif line == previous:
            report(path, number, "imports", f"duplicate `{line}`")

sys.exit(1 if violations else 0)
PY

git ls-files -z -- 'Sources/*.swift' 'Tests/*.swift' Package.swift | python3 -c "$CHECK"
