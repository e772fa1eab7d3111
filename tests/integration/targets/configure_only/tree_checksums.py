"""Record or compare the SHA-256 of every file below a directory.

snapshot DIR OUT   writes {relative path: sha256} of every regular file below DIR to OUT (JSON).
compare BEFORE AFTER MODE
                   compares two snapshots. MODE "none" expects no difference at all. MODE
                   "configure" expects changes only in files under repository/conf/ and in
                   bin/wso2server.sh, new files only as <changed file>.orig, no removed files,
                   and at least one changed file.
Exits 1 and prints every unexpected difference.
"""

import hashlib
import json
import os
import sys

ALLOWED_PREFIXES = ('repository/conf/',)
ALLOWED_FILES = ('bin/wso2server.sh',)


def snapshot(root):
    checksums = {}
    for directory, _subdirectories, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, 'rb') as handle:
                checksums[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return checksums


def is_configuration(path):
    return path.startswith(ALLOWED_PREFIXES) or path in ALLOWED_FILES


def compare(before, after, mode):
    removed = sorted(set(before) - set(after))
    added = sorted(set(after) - set(before))
    changed = sorted(path for path in set(before) & set(after) if before[path] != after[path])
    problems = []
    if mode == 'none':
        problems += ['changed: %s' % path for path in changed]
        problems += ['added: %s' % path for path in added]
        problems += ['removed: %s' % path for path in removed]
        return problems

    problems += ['removed: %s' % path for path in removed]
    problems += ['changed outside the configuration: %s' % path for path in changed if not is_configuration(path)]
    for path in added:
        original = path[:-len('.orig')] if path.endswith('.orig') else None
        if original is None or original not in changed or not is_configuration(original):
            problems.append('added without a matching changed configuration file: %s' % path)
        elif after[path] != before[original]:
            problems.append('backup %s differs from the shipped %s' % (path, original))
    if not changed:
        problems.append('no configuration file changed')
    return problems


def main(argv):
    if len(argv) == 4 and argv[1] == 'snapshot':
        with open(argv[3], 'w') as handle:
            json.dump(snapshot(argv[2]), handle, indent=1, sort_keys=True)
        return 0
    if len(argv) == 5 and argv[1] == 'compare' and argv[4] in ('none', 'configure'):
        with open(argv[2]) as handle:
            before = json.load(handle)
        with open(argv[3]) as handle:
            after = json.load(handle)
        problems = compare(before, after, argv[4])
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
