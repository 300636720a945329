# Flattens the JSON reference fixtures into a line format the C++ kernel tests read without a JSON
# parser: "case <i>", then "<name> <ndim> <dims...> <values...>" or "str <name> <value>", then "end".
import json
import sys


def shape_of(x):
    if isinstance(x, list):
        if not x:
            return [0]
        inner = [shape_of(e) for e in x]
        if all(s == inner[0] for s in inner) and inner[0] is not None:
            return [len(x)] + inner[0]
        return None  # ragged
    return [] if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def flat(x):
    if isinstance(x, list):
        for e in x:
            yield from flat(e)
    else:
        yield x


def emit(name, x, out):
    if x is None:
        return
    if isinstance(x, str):
        out.append(f"str {name} {x}")
    elif isinstance(x, bool):
        out.append(f"{name} 0 {int(x)}")
    elif isinstance(x, dict):
        for k, v in x.items():
            emit(f"{name}.{k}", v, out)
    else:
        s = shape_of(x)
        if s is None:  # ragged list, e.g. potentials [u, v]
            for k, e in enumerate(x):
                emit(f"{name}.{k}", e, out)
            return
        vals = " ".join(repr(float(v)) for v in flat(x))
        out.append(f"{name} {len(s)} {' '.join(map(str, s))} {vals}".replace("  ", " "))


def main(src, dst):
    cases = json.load(open(src))["cases"]
    out = []
    for i, c in enumerate(cases):
        out.append(f"case {i}")
        for k, v in c.items():
            emit(k, v, out)
        out.append("end")
    open(dst, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
