"""Loads a fremdrift research extract into pandas, every column typed.

In a program:

    import load_extract
    d = load_extract.load("path/to/extract")   # a dict of DataFrames
    d["courses"].dtypes

From a shell, to see what is there:

    python3 load_extract.py path/to/extract

The types come from codebook.csv and the value labels from values.csv,
both beside this file: codes become categoricals (ordered where the
codebook says "ordered"), integers Int64, numbers float64, dates
datetime64; ids and periods stay text. load(dir, labels=True) gives the
labels of values.csv instead of the codes as the categories.
"""
import os
import sys

import pandas as pd


def _read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _levels(values, labels):
    out = {}
    for domain, code, label in values[["domain", "code", "label"]].itertuples(
            index=False):
        codes = out.setdefault(domain, {})
        codes.setdefault(code, label if labels else code)
    return out


def _typed(s, kind, levels):
    s = s.where(s != "")
    if kind == "integer":
        return pd.to_numeric(s).astype("Int64")
    if kind == "number":
        return pd.to_numeric(s).astype("float64")
    if kind == "date":
        return pd.to_datetime(s, format="%Y-%m-%d")
    if kind in ("category", "ordered"):
        known = levels or {}
        extra = sorted(set(s.dropna()) - set(known))
        cats = list(dict.fromkeys(list(known) + extra))
        out = pd.Categorical(s, categories=cats, ordered=kind == "ordered")
        names = [known.get(c, c) for c in cats]
        if names != cats and len(set(names)) == len(names):
            out = out.rename_categories(names)
        return out
    return s


def load(folder=None, labels=False):
    """The extract in folder (default: this file's folder) as a dict of
    DataFrames, one per data file, keyed by file name without .csv."""
    folder = folder or os.path.dirname(os.path.abspath(__file__))
    book = _read(os.path.join(folder, "codebook.csv"))
    levels = _levels(_read(os.path.join(folder, "values.csv")), labels)
    tables = {}
    for name in dict.fromkeys(book["file"]):
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            continue
        df = _read(path)
        for col in book[book["file"] == name].itertuples(index=False):
            if col.column in df.columns:
                df[col.column] = _typed(df[col.column], col.type,
                                        levels.get(col.domain))
        tables[name[:-4]] = df
    return tables


if __name__ == "__main__":
    for table, frame in load(sys.argv[1] if len(sys.argv) > 1 else None).items():
        print("%s: %d rows" % (table, len(frame)))
        for column, kind in frame.dtypes.items():
            print("  %-18s %s" % (column, kind))
