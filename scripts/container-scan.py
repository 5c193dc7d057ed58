#!/usr/bin/python3
"""Looks for secrets in every layer of container images (make container-test).

    container-scan.py MARKERS ARCHIVE...

ARCHIVE is an image saved by `podman save --format docker-archive`;
MARKERS a file of exact strings, one a line, that no layer may hold (the
secrets the test made and planted in the build context). Every file of
every layer is read. A layer fails on

  - a path from the build context that must stay out: var/, build*/,
    .git, node_modules, secrets/ (docker/secrets), and anywhere a *.key,
    *.token or pgpass file;
  - a file that is a fremdrift key (it starts with the header `fremdrift
    keygen` writes, or has its `key <64 hex>` line), an API token
    (fr_ and 64 hex), a private key in PEM (outside ELF binaries), or a
    pgpass line for the fremdrift logins;
  - any of the markers.

Prints one line per finding and a summary per image; exit 0 when nothing
was found, 1 when something was, 2 on a usage or read error.
"""
import json
import re
import sys
import tarfile

NAME_RULES = [
    (re.compile(r"(^|/)src/(var|build[^/]*)(/|$)"), "the build context's var/ or build*/"),
    (re.compile(r"(^|/)\.git(/|$)"), ".git"),
    (re.compile(r"(^|/)node_modules(/|$)"), "node_modules"),
    (re.compile(r"(^|/)secrets(/|$)"), "a secrets/ folder"),
    (re.compile(r"\.key$"), "a *.key file"),
    (re.compile(r"\.token$"), "a *.token file"),
    (re.compile(r"pgpass", re.I), "a pgpass file"),
]
CONTENT_RULES = [
    (re.compile(rb"(?m)^key [0-9a-f]{64}$"), "a fremdrift key's key line"),
    (re.compile(rb"fr_[0-9a-f]{64}"), "an API token"),
    # The header and a line of base64 (libraries hold the header alone).
    # Not looked for in ELF files: GnuTLS carries its self-tests' keys.
    (re.compile(rb"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=]{40,}"),
     "a PEM private key"),
    # A whole line of five fields (so not this test's own grep of one).
    (re.compile(rb"(?m)^[^:\s]*:[^:\s]*:fremdrift:fremdrift(?:_app)?:\S+$"), "a pgpass line"),
]
KEY_HEADER = b"# fremdrift pseudonym key"
MAX_READ = 256 << 20


def scan_layer(layer, where, markers, findings):
    files = 0
    for m in layer:
        name = m.name[2:] if m.name.startswith("./") else m.name
        base = name.rsplit("/", 1)[-1]
        if base.startswith(".wh."):
            continue
        for rule, what in NAME_RULES:
            if rule.search(name):
                findings.append(f"{where}: /{name}: {what}")
        if not m.isfile():
            continue
        files += 1
        f = layer.extractfile(m)
        data = f.read(MAX_READ) if f else b""
        if data.startswith(KEY_HEADER):
            findings.append(f"{where}: /{name}: a fremdrift key file (keygen's header)")
        elf = data.startswith(b"\x7fELF")
        for rule, what in CONTENT_RULES:
            if elf and what == "a PEM private key":
                continue
            if rule.search(data):
                findings.append(f"{where}: /{name}: {what}")
        for mk in markers:
            if mk in data:
                findings.append(f"{where}: /{name}: holds a secret of this test "
                                f"({mk[:6].decode(errors='replace')}…)")
    return files


def scan_archive(path, markers, findings):
    with tarfile.open(path, "r:*") as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        layers = files = 0
        for image in manifest:
            tags = ",".join(image.get("RepoTags") or []) or path
            for i, lname in enumerate(image["Layers"]):
                with tarfile.open(fileobj=outer.extractfile(lname), mode="r|*") as layer:
                    files += scan_layer(layer, f"{tags} layer {i + 1}", markers, findings)
                layers += 1
    return tags, layers, files


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        markers = [ln.strip() for ln in f.read().splitlines() if len(ln.strip()) >= 8]
    if not markers:
        print("container-scan: no markers", file=sys.stderr)
        return 2
    bad = False
    for path in argv[2:]:
        findings = []
        try:
            tags, layers, files = scan_archive(path, markers, findings)
        except (OSError, KeyError, tarfile.TarError, ValueError) as e:
            print(f"container-scan: {path}: {e}", file=sys.stderr)
            return 2
        for line in findings:
            print(f"container-scan: FOUND {line}")
        print(f"container-scan: {tags}: {layers} layers, {files} files, "
              f"{len(markers)} secrets looked for: "
              f"{'clean' if not findings else str(len(findings)) + ' finding(s)'}")
        bad = bad or bool(findings)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
