#!/usr/bin/env python3
"""Carry out a Dockerfile's build stages in Debian roots, without Docker.

    dockerfile.py stages DOCKERFILE
        one line per stage: NAME SUITE IMAGE (NAME is the AS name or the
        stage's index; SUITE the Debian suite of a debian:SUITE[-slim] image)
    dockerfile.py run DOCKERFILE CONTEXT STAGE ROOT [NAME=ROOT...]
        the stage's instructions in ROOT (a fresh root of SUITE, made by the
        caller): RUN through scripts/roots.sh's root_run_net (/bin/sh -c in
        WORKDIR, with the ENV so far), COPY from CONTEXT (minus
        .dockerignore) or from an earlier stage's root (--from=NAME)
    dockerfile.py entrypoint DOCKERFILE STAGE
        ENV lines (NAME=VALUE) then 'ENTRYPOINT' and the exec-form words,
        one per line

Only what the example uses is understood (FROM, WORKDIR, COPY, RUN, ENV,
EXPOSE, ENTRYPOINT, CMD, LABEL, ARG without use); anything else is an error
naming the line, so the example cannot drift from what its test runs.
"""
import fnmatch
import json
import os
import shutil
import subprocess
import sys

ROOTS_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "roots.sh")


def die(msg):
    sys.exit("dockerfile.py: " + msg)


def parse(path):
    """[(lineno, INSTRUCTION, argument text)], continuations joined."""
    out, buf, start = [], "", 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not buf and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if buf and line.lstrip().startswith("#"):
                continue  # comment lines inside a continued instruction
            if not buf:
                start = n
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            buf += line
            word, _, rest = buf.strip().partition(" ")
            out.append((start, word.upper(), rest.strip()))
            buf = ""
    if buf:
        die(f"{path}:{start}: instruction continues past the end of the file")
    return out


def stages(instrs, path):
    """[(name, suite, image, [instructions])]"""
    result = []
    for n, ins, arg in instrs:
        if ins == "FROM":
            words = arg.split()
            image = words[0]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(result))
            repo, _, tag = image.partition(":")
            if repo != "debian" or not tag:
                die(f"{path}:{n}: FROM {image}: only debian:SUITE[-slim] images can be carried out")
            suite = tag[:-5] if tag.endswith("-slim") else tag
            result.append((name, suite, image, []))
        elif not result:
            die(f"{path}:{n}: {ins} before FROM")
        else:
            result[-1][3].append((n, ins, arg))
    return result


def find_stage(all_stages, name, path):
    for s in all_stages:
        if s[0] == name:
            return s
    die(f"{path}: no stage {name} (stages: {' '.join(s[0] for s in all_stages)})")


def ignored_patterns(context):
    pats = []
    p = os.path.join(context, ".dockerignore")
    if os.path.exists(p):
        with open(p) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    pats.append(line.rstrip("/"))
    return pats


def is_ignored(rel, pats):
    for pat in pats:
        if pat.startswith("**/"):
            if any(fnmatch.fnmatch(part, pat[3:]) for part in rel.split("/")):
                return True
        elif fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel.split("/")[0], pat):
            return True
    return False


def copy_into(src, dst):
    """Docker's COPY of one source: a directory's contents, or a file."""
    if os.path.isdir(src):
        shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)
    else:
        if dst.endswith("/") or os.path.isdir(dst):
            dst = os.path.join(dst, os.path.basename(src))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)


def copy_context(context, rel_src, dst, pats):
    src = os.path.normpath(os.path.join(context, rel_src))
    if os.path.isdir(src):
        for dirpath, dirnames, filenames in os.walk(src):
            reldir = os.path.relpath(dirpath, context)
            reldir = "" if reldir == "." else reldir + "/"
            dirnames[:] = [d for d in dirnames if not is_ignored(reldir + d, pats)]
            for fn in filenames:
                if is_ignored(reldir + fn, pats):
                    continue
                target = os.path.join(dst, os.path.relpath(os.path.join(dirpath, fn), src))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(os.path.join(dirpath, fn), target, follow_symlinks=False)
    elif os.path.exists(src):
        copy_into(src, dst)
    else:
        die(f"COPY {rel_src}: not in the build context {context}")


def run_stage(path, context, stage, root, others):
    env, workdir = {}, "/"
    pats = ignored_patterns(context)
    for n, ins, arg in stage[3]:
        where = f"{path}:{n}"
        if ins == "WORKDIR":
            workdir = os.path.join(workdir, arg)
            os.makedirs(root + workdir, exist_ok=True)
        elif ins == "ENV":
            k, _, v = arg.partition("=")
            if not v:
                die(f"{where}: ENV takes NAME=VALUE")
            env[k] = v
        elif ins == "COPY":
            words = arg.split()
            src_root = None
            if words[0].startswith("--from="):
                name = words.pop(0)[7:]
                if name not in others:
                    die(f"{where}: COPY --from={name}: no root given for that stage")
                src_root = others[name]
            *srcs, dst = words
            dst_abs = dst if dst.startswith("/") else os.path.join(workdir, dst)
            target = root + dst_abs + ("/" if dst.endswith("/") and not dst_abs.endswith("/") else "")
            for s in srcs:
                print(f"+ COPY {'--from=' + name + ' ' if src_root else ''}{s} {dst_abs}", flush=True)
                if src_root:
                    copy_into(src_root + os.path.join(workdir, s) if not s.startswith("/") else src_root + s, target)
                else:
                    copy_context(context, s, target, pats)
        elif ins == "RUN":
            print(f"+ RUN {arg}", flush=True)
            envs = [f"{k}={v}" for k, v in env.items()]
            cmd = ["bash", "-c", f'. "{ROOTS_SH}" && root_run_net "$@"', "bash", root,
                   "/usr/bin/env"] + envs + ["/bin/sh", "-c", f"cd {workdir} && {arg}"]
            if subprocess.call(cmd) != 0:
                die(f"{where}: RUN failed: {arg}")
        elif ins in ("EXPOSE", "LABEL", "ENTRYPOINT", "CMD", "ARG"):
            pass
        else:
            die(f"{where}: {ins} is not carried out by this runner: keep the example to "
                "FROM, WORKDIR, COPY, RUN, ENV, EXPOSE, LABEL, ENTRYPOINT, CMD")


def entrypoint(stage, path):
    env, entry, cmd = [], None, []
    for n, ins, arg in stage[3]:
        if ins == "ENV":
            env.append(arg)
        elif ins in ("ENTRYPOINT", "CMD"):
            try:
                words = json.loads(arg)
            except ValueError:
                die(f"{path}:{n}: {ins} must be in exec form [\"...\"]")
            if ins == "ENTRYPOINT":
                entry = words
            else:
                cmd = words
    if entry is None:
        die(f"{path}: stage {stage[0]} has no ENTRYPOINT")
    return env, entry + cmd


def main(argv):
    if len(argv) < 3:
        die(__doc__)
    what, path = argv[1], argv[2]
    all_stages = stages(parse(path), path)
    if what == "stages":
        for name, suite, image, _ in all_stages:
            print(name, suite, image)
    elif what == "run" and len(argv) >= 6:
        context, name, root = argv[3], argv[4], os.path.abspath(argv[5])
        others = dict(a.split("=", 1) for a in argv[6:])
        run_stage(path, os.path.abspath(context), find_stage(all_stages, name, path), root, others)
    elif what == "entrypoint" and len(argv) == 4:
        env, words = entrypoint(find_stage(all_stages, argv[3], path), path)
        for e in env:
            print(e)
        print("ENTRYPOINT", *words)
    else:
        die(__doc__)


if __name__ == "__main__":
    main(sys.argv)
