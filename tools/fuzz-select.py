#!/usr/bin/env python3
"""tools/fuzz-select.py CONTROL REPO_DIR BUDGET: cuts what a fuzz run found to a byte budget.
CONTROL is the control file of a merge into an empty folder (fuzz_NAME -merge=1
-merge_control_file=CONTROL EMPTY fuzz/corpus/NAME build/fuzz/fuzz/work/NAME). The files of
REPO_DIR are all kept; the others are added greedily, most new features per byte first, until
BUDGET bytes of new files; they are copied into REPO_DIR and the feature counts printed.
A control file lists for each input only the features no input before it (smallest first) had,
so the counts printed are a lower bound: replay REPO_DIR with -runs=0 for the true figure."""
import os, sys, shutil
ctl, repo, budget = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(ctl).read().split('\n')
n = int(lines[0]); names = lines[2:2 + n]
ft = {}; size = {}
for l in lines[2 + n:]:
    p = l.split()
    if not p: continue
    if p[0] == 'STARTED': size[int(p[1])] = int(p[2])
    elif p[0] == 'FT': ft[int(p[1])] = set(map(int, p[2:]))
allf = set().union(*ft.values())
repo_files = set(os.listdir(repo))
have = set(); cand = []
for i, nm in enumerate(names):
    if i not in ft: continue
    if os.path.dirname(os.path.abspath(nm)) == os.path.abspath(repo) or os.path.basename(nm) in repo_files:
        have |= ft[i]
    else:
        cand.append(i)
base = len(have); spent = 0; chosen = []
while True:
    best = None; bs = 0
    for i in cand:
        g = len(ft[i] - have)
        if g == 0 or spent + size[i] > budget: continue
        s = g / (size[i] + 256)
        if s > bs: bs, best = s, i
    if best is None: break
    have |= ft[best]; spent += size[best]; chosen.append(best); cand.remove(best)
for i in chosen:
    shutil.copy(names[i], os.path.join(repo, os.path.basename(names[i])))
print(f"{repo}: features of all inputs {len(allf)}; repo corpus before {base}; after {len(have)}; "
      f"added {len(chosen)} files, {spent} bytes")
