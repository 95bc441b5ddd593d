#!/usr/bin/env python3
"""Fails when a folder of Sources/Planner uses a type from a folder above it, or folders form a cycle.

The library is one Swift module, so the compiler cannot enforce its layering; this script does.
Each top-level type (struct, enum, class, protocol, typealias) belongs to the folder of the file
that declares it. A file uses a type when the type's name appears as an identifier outside
comments and string literals (an `extension T` uses T). The folders, lowest first:

    Support <- Hardware, Model <- Workload <- Cost <- Placement <- Planning <- Output

A folder may use its own types and those of folders below it, never above it or beside it
(Hardware and Model are beside each other). Usage: Scripts/check_layers.py [Sources/Planner | --self-test]
Exit 0 when the layering holds, 1 with one line per offending use.
"""
import os
import re
import sys

LAYERS = [["Support"], ["Hardware", "Model"], ["Workload"], ["Cost"], ["Placement"], ["Planning"], ["Output"]]
RANK = {folder: rank for rank, folders in enumerate(LAYERS) for folder in folders}
DECLARATION = re.compile(
    r"^(?:@\w+\s+)*(?:(?:public|internal|package|private|fileprivate|final|indirect)\s+)*"
    r"(?:struct|enum|class|protocol|typealias|actor)\s+([A-Z]\w*)",
    re.M,
)
IDENTIFIER = re.compile(r"\b[A-Z]\w*\b")


def strip(source):
    """The source without comments and string literals (interpolations dropped with them)."""
    source = re.sub(r'"""[\s\S]*?"""', '""', source)
    source = re.sub(r"/\*[\s\S]*?\*/", " ", source)
    source = re.sub(r"//[^\n]*", "", source)
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', source)


def folder_of(root, path):
    return os.path.relpath(path, root).split(os.sep)[0]


def self_test():
    """The check fails on a planted use against the order and passes on the fixed tree."""
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        for folder, text in [
            ("Support", "public struct ByteCount { var plan: Plan? }\n"),
            ("Planning", "public struct Plan { var size: ByteCount }\n"),
        ]:
            os.makedirs(os.path.join(root, folder))
            with open(os.path.join(root, folder, "A.swift"), "w", encoding="utf-8") as handle:
                handle.write(text)
        planted = check(root)
        assert len(planted) == 1 and "Support uses Plan from Planning" in planted[0], planted
        with open(os.path.join(root, "Support", "A.swift"), "w", encoding="utf-8") as handle:
            handle.write("public struct ByteCount {} // a Plan in a comment is no use\n")
        assert check(root) == [], check(root)
    print("check_layers self-test: a planted use is found, a comment is not")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return 0
    root = sys.argv[1] if len(sys.argv) > 1 else "Sources/Planner"
    problems = check(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} use(s) against the layer order", file=sys.stderr)
        return 1
    return 0


def check(root):
    files = {}
    for directory, _, names in os.walk(root):
        for name in sorted(names):
            if name.endswith(".swift"):
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8") as handle:
                    files[path] = strip(handle.read())
    owner = {}
    problems = []
    for path, source in sorted(files.items()):
        folder = folder_of(root, path)
        if folder not in RANK:
            problems.append(f"{path}: folder {folder} is not in the layer order {LAYERS}")
            continue
        for name in DECLARATION.findall(source):
            if name in owner and owner[name][0] != folder:
                problems.append(f"{path}: {name} is also declared in {owner[name][1]}")
            owner.setdefault(name, (folder, path))
    for path, source in sorted(files.items()):
        folder = folder_of(root, path)
        if folder not in RANK:
            continue
        seen = set()
        for match in IDENTIFIER.finditer(source):
            name = match.group(0)
            if name in seen or name not in owner:
                continue
            seen.add(name)
            used, declared_in = owner[name]
            if used != folder and RANK[used] >= RANK[folder]:
                line = source.count("\n", 0, match.start()) + 1
                problems.append(
                    f"{path}:{line}: {folder} uses {name} from {used} ({declared_in}), "
                    f"which is {'beside' if RANK[used] == RANK[folder] else 'above'} it")
    return problems


if __name__ == "__main__":
    sys.exit(main())
