"""Command line (docs/rules.md, a stable contract):

    python -m debt_rules diagnose      < profile.json     > assessment.json
    python -m debt_rules recalculate   < history.json     > recalculation.json
    python -m debt_rules recalculate --csv history.csv    > recalculation.json

``recalculate`` also takes ``--as-of YYYY-MM-DD``, ``--overpayment-interest-percent N``
and ``--rate-percent-override N`` (these override the same keys of the JSON input);
``--csv -`` reads the CSV from stdin.

Input is UTF-8 (a byte-order mark is tolerated). Output: one JSON object on stdout, exit 0.
Bad input (invalid JSON, empty input, wrong types, negative or over-100億円 amounts,
unknown enum values, unknown fields, dates out of order, a CSV without a column...): exit
2, nothing on stdout, one line on stderr, ``<field>: <problem in Japanese>``. A wrong
command line also exits 2 with one line. Never a traceback: an unexpected internal error
exits 1 with one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, List, Mapping, NoReturn, Optional

from debt_rules.errors import InputError


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage block
        raise _Usage(message)


def _parser() -> _Parser:
    p = _Parser(prog="python -m debt_rules", description="debt_rules: diagnose / recalculate")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    sub.add_parser("diagnose", help="profile JSON (stdin) -> assessment JSON")
    r = sub.add_parser("recalculate", help="history JSON (stdin) or --csv -> recalculation JSON")
    r.add_argument("--csv", metavar="PATH", help="CSV with header date,borrowed,repaid ('-' = stdin)")
    r.add_argument("--as-of", metavar="YYYY-MM-DD")
    r.add_argument("--overpayment-interest-percent", type=float, metavar="N")
    r.add_argument("--rate-percent-override", type=float, metavar="N")
    return p


def _decode(data: bytes, where: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(where, f"UTF-8 として読めません（{exc.start}バイト目）。") from None
    if not text.strip():
        raise InputError(where, "入力が空です。")
    return text


def _bad_constant(name: str) -> NoReturn:
    raise InputError("input", f"JSON に使えない値 {name} があります。")


def _load_json(data: bytes) -> Any:
    text = _decode(data, "input")
    try:
        return json.loads(text, parse_constant=_bad_constant)
    except json.JSONDecodeError as exc:
        raise InputError("input", f"JSON として読めません（{exc.lineno}行目 {exc.colno}文字目：{exc.msg}）。") from None
    except RecursionError:
        raise InputError("input", "JSON の入れ子が深すぎます。") from None


def run(argv: Optional[List[str]] = None) -> int:
    from debt_rules.diagnose import diagnose
    from debt_rules.recalc import parse_history_csv, recalculate

    args = _parser().parse_args(argv)
    result: Mapping[str, Any]
    if args.command is None:
        raise _Usage("diagnose か recalculate を指定してください。")
    if args.command == "diagnose":
        result = diagnose(_load_json(sys.stdin.buffer.read()))
    else:
        if args.csv is not None:
            if args.csv == "-":
                raw, where = sys.stdin.buffer.read(), "csv"
            else:
                try:
                    with open(args.csv, "rb") as fh:
                        raw = fh.read()
                except OSError as exc:
                    raise InputError(args.csv, f"ファイルを開けません（{exc.strerror}）。") from None
                where = args.csv
            history = parse_history_csv(_decode(raw, where))
        else:
            history = _load_json(sys.stdin.buffer.read())
            if not isinstance(history, dict):
                raise InputError("history", "JSON のオブジェクト（{ } で囲んだ形）で入力してください。")
        history = dict(history)
        if args.as_of is not None:
            history["as_of"] = args.as_of
        if args.overpayment_interest_percent is not None:
            history["overpayment_interest_percent"] = args.overpayment_interest_percent
        if args.rate_percent_override is not None:
            history["rate_percent_override"] = args.rate_percent_override
        result = recalculate(history)
    out = json.dumps(result, ensure_ascii=False, indent=2)
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    try:
        return run(argv)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except _Usage as exc:
        print(f"usage: {exc}（python -m debt_rules diagnose | recalculate [--csv PATH]）", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback
        print(f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
