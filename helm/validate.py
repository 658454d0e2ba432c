"""Validates manifests rendered by `helm template` (run with the venv's python).

- Built-in kinds: kubernetes-validate, strict (unknown fields are errors),
  against each Kubernetes version given with -k.
- NetworkAttachmentDefinition and ServiceMonitor (CRDs): the JSON schemas in
  helm/schemas/, and each NAD's spec.config against cni-config.json.
- The chart's own promises: Guaranteed QoS (requests == limits, integer
  CPU), every network in the Multus annotation rendered or declared
  existing, the ConfigMap's upf.toml is valid TOML.

usage: validate.py -k 1.26.0 -k 1.37.0 [--existing NAME]... FILE...
"""
import argparse
import json
import pathlib
import sys
import tomllib

import jsonschema
import kubernetes_validate
import yaml

HERE = pathlib.Path(__file__).resolve().parent
CRD_SCHEMAS = {
    "NetworkAttachmentDefinition": "networkattachmentdefinition.json",
    "ServiceMonitor": "servicemonitor.json",
}


def schema(name):
    return json.loads((HERE / "schemas" / name).read_text())


def check_pod(doc, nads, existing, errors):
    spec = doc["spec"]["template"]
    for c in spec["spec"]["containers"]:
        res = c.get("resources", {})
        if res.get("requests") != res.get("limits"):
            errors.append(f"{c['name']}: requests != limits (not Guaranteed QoS)")
        cpu = str(res.get("limits", {}).get("cpu", ""))
        if not cpu.isdigit():
            errors.append(f"{c['name']}: CPU {cpu!r} is not an integer")
    ann = spec["metadata"].get("annotations", {}).get("k8s.v1.cni.cncf.io/networks")
    if ann is not None:
        for net in json.loads(ann):
            if net["name"] not in nads and net["name"] not in existing:
                errors.append(f"network {net['name']!r} is neither rendered nor declared existing")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", dest="versions", action="append", required=True)
    ap.add_argument("--existing", action="append", default=[])
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    failed = 0
    for f in a.files:
        docs = [d for d in yaml.safe_load_all(pathlib.Path(f).read_text()) if d]
        nads = {d["metadata"]["name"] for d in docs if d["kind"] == "NetworkAttachmentDefinition"}
        for d in docs:
            kind, name = d["kind"], d["metadata"]["name"]
            errors = []
            try:
                if kind in CRD_SCHEMAS:
                    jsonschema.validate(d, schema(CRD_SCHEMAS[kind]))
                    if kind == "NetworkAttachmentDefinition":
                        jsonschema.validate(json.loads(d["spec"]["config"]), schema("cni-config.json"))
                else:
                    for v in a.versions:
                        kubernetes_validate.validate(d, v, strict=True)
                if kind == "Deployment":
                    check_pod(d, nads, a.existing, errors)
                if kind == "ConfigMap" and "upf.toml" in d.get("data", {}):
                    tomllib.loads(d["data"]["upf.toml"])
            except Exception as e:  # report every document, then fail
                errors.append(str(e).splitlines()[0])
            status = "ok" if not errors else "FAIL: " + "; ".join(errors)
            print(f"  {pathlib.Path(f).name}: {kind}/{name}: {status}")
            failed += bool(errors)
    if failed:
        print(f"validate: {failed} document(s) failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
