// The Python test harness that runs inside the jail, next to the model's solution, for the test
// forms that are not whole programs: assert scripts (MBPP top-level asserts, KodCode/pytest
// `test_*` functions, HumanEval `check(candidate)` bodies) and call-based tests (APPS / TACO /
// LiveCodeBench `fn_name`). It reads a nonce, its instructions and the tests from stdin (never
// files in the job folder, which the solution could open to read the expected answers), runs each
// test under its own time limit, and reports one status per test on stderr behind the nonce, so
// ordinary program output cannot be mistaken for a result.
import { JOB_DIR } from './sandbox.js';
import { PYTHON_GUARD } from './python-guard.js';

/** What the harness is asked to do (sent on stdin with the tests). */
export type HarnessSpec =
  | {
      mode: 'asserts';
      /** HumanEval: the function `check(candidate)` is given. */
      entry_point: string | null;
      per_test_s: number;
      /** Stop at the first test that does not pass; the tests not run get its status. */
      stop_at_failure: boolean;
    }
  | {
      mode: 'call';
      fn_name: string;
      cases: { args: unknown[]; expected: unknown }[];
      /** APPS/TACO store an output as a one-item list: the item alone is accepted too. */
      unwrap_single: boolean;
      per_test_s: number;
      stop_at_failure: boolean;
    };

export const HARNESS_FILES = { harness: 'harness.py', solution: 'solution.py' } as const;

/**
 * The harness's stdin: the nonce on the first line, the spec and the tests as one JSON line.
 * The harness consumes both before the solution runs, so the solution reads an empty stdin.
 */
export function harnessInput(nonce: string, spec: HarnessSpec, tests: string): string {
  return `${nonce}\n${JSON.stringify({ spec, tests })}\n`;
}

export const PYTHON_TEST_HARNESS = String.raw`
import ast, builtins, copy, json, math, re, signal, sys, types
${PYTHON_GUARD}
class _AhaTimeout(BaseException):
    pass

class _AhaStop(BaseException):
    # Raised by the harness itself (never inside a test) to stop at the first failure.
    pass

_armed = [False]

def _on_alarm(signum, frame):
    if _armed[0]:
        _armed[0] = False
        raise _AhaTimeout()

def _same(out, exp):
    # JSON equality: bools only equal bools, numbers within a tolerance (ints exactly), lists
    # equal lists or tuples item by item, dict keys compared as JSON strings.
    if isinstance(exp, bool) or isinstance(out, bool):
        return isinstance(exp, bool) and isinstance(out, bool) and exp == out
    if isinstance(exp, (int, float)) and isinstance(out, (int, float)):
        if isinstance(exp, int) and isinstance(out, int):
            return exp == out
        return math.isclose(out, exp, rel_tol=1e-6, abs_tol=1e-6)
    if isinstance(exp, list):
        return isinstance(out, (list, tuple)) and len(out) == len(exp) and all(_same(o, e) for o, e in zip(out, exp))
    if isinstance(exp, dict):
        if not isinstance(out, dict) or len(out) != len(exp):
            return False
        keyed = {str(k): v for k, v in out.items()}
        return all(k in keyed and _same(keyed[k], v) for k, v in exp.items())
    if exp is None:
        return out is None
    if isinstance(exp, str):
        return isinstance(out, str) and out == exp
    return False

def _pytest_stand_in():
    # pytest is not in the jail; KodCode-style tests use a few of its names. This stand-in gives
    # raises (both forms, match=), approx (numbers, sequences, dicts), fail, fixture and
    # mark.parametrize (the harness splits a literal parameter list into one test per case).
    m = types.ModuleType("pytest")
    class _Raises:
        def __init__(self, exc, match):
            self.exc, self.match, self.value = exc, match, None
        def __enter__(self):
            return self
        def __exit__(self, et, ev, tb):
            if et is None:
                raise AssertionError("DID NOT RAISE " + repr(self.exc))
            if not issubclass(et, self.exc):
                return False
            if self.match is not None and not re.search(self.match, str(ev)):
                raise AssertionError("exception message does not match " + repr(self.match))
            self.value = ev
            return True
    def raises(exc, *args, match=None, **kwargs):
        if not args:
            return _Raises(exc, match)
        with _Raises(exc, match) as r:
            args[0](*args[1:], **kwargs)
        return r
    class approx:
        def __init__(self, expected, rel=None, abs=None):
            self.expected = expected
            self.rel = 1e-6 if rel is None else rel
            self.tol = 1e-12 if abs is None else abs
        def _eq(self, a, e):
            if isinstance(e, (list, tuple)):
                return isinstance(a, (list, tuple)) and len(a) == len(e) and all(self._eq(x, y) for x, y in zip(a, e))
            if isinstance(e, dict):
                return isinstance(a, dict) and a.keys() == e.keys() and all(self._eq(a[k], e[k]) for k in e)
            try:
                return a == e or builtins.abs(a - e) <= max(self.rel * builtins.abs(e), self.tol)
            except TypeError:
                return False
        def __eq__(self, other):
            return self._eq(other, self.expected)
        __hash__ = None
        def __repr__(self):
            return "approx(" + repr(self.expected) + ")"
    def fail(msg=""):
        raise AssertionError(msg)
    def passthrough(*args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return lambda fn: fn
    class _Mark:
        def parametrize(self, names, values, **kwargs):
            def deco(fn):
                argnames = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
                fn.__dict__.setdefault("_aha_params", []).insert(0, (argnames, list(values)))
                return fn
            return deco
        def __getattr__(self, name):
            return passthrough
    m.raises, m.approx, m.fail, m.fixture, m.mark = raises, approx, fail, passthrough, _Mark()
    return m

def _param_cases(node):
    # How many tests a test function makes: one per case of a single literal parametrize list.
    marks = [d for d in node.decorator_list if isinstance(d, ast.Call) and getattr(d.func, "attr", None) == "parametrize"]
    if len(marks) != 1 or len(marks[0].args) < 2:
        return None
    try:
        return len(ast.literal_eval(marks[0].args[1]))
    except Exception:
        return None

def _call_test(fn, case):
    params = fn.__dict__.get("_aha_params", [])
    if not params:
        return fn()
    if case is None:
        # Several parametrize marks, or cases we could not count: every combination in one test.
        combos = [{}]
        for argnames, values in params:
            combos = [dict(c, **_bind(argnames, v)) for c in combos for v in values]
        for c in combos:
            fn(**c)
        return None
    argnames, values = params[0]
    return fn(**_bind(argnames, values[case]))

def _bind(argnames, value):
    return {argnames[0]: value} if len(argnames) == 1 else dict(zip(argnames, value))

def _main():
    nonce = sys.stdin.readline().strip()
    job = json.loads(sys.stdin.readline())
    spec, tests_source = job["spec"], job["tests"]
    del job
    err = sys.stderr
    limit = float(spec["per_test_s"])
    signal.signal(signal.SIGALRM, _on_alarm)

    def report(key, value):
        err.write("\n" + nonce + " " + str(key) + " " + value + "\n")
        err.flush()

    def status_of(e):
        if isinstance(e, _AhaTimeout):
            return "timeout"
        if isinstance(e, MemoryError):
            return "memory_limit"
        if isinstance(e, AssertionError):
            return "wrong_answer"
        return "runtime_error"

    def timed(fn):
        # Runs fn under the per-test limit; returns its status ("pass" when it returns).
        signal.setitimer(signal.ITIMER_REAL, limit)
        _armed[0] = True
        try:
            fn()
            return "pass"
        except BaseException as e:
            if not isinstance(e, (AssertionError, _AhaTimeout)):
                err.write(type(e).__name__ + ": " + str(e)[:300] + "\n")
            return status_of(e)
        finally:
            _armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)

    def setup_failed(status):
        report("setup", "runtime_error" if status == "wrong_answer" else status)

    stop_at_failure = bool(spec.get("stop_at_failure"))
    def result(i, st, what=None):
        # A failed check says which one, so that the run's error names it ("assert add(1, 2) == 3").
        if st == "wrong_answer" and what:
            err.write("test " + str(i + 1) + " failed: " + what()[:300] + "\n")
        report(i, st)
        if st != "pass" and stop_at_failure:
            # All-or-nothing graders need no more: the tests not run share this status.
            report("setup", st)
            raise _AhaStop()

    # Bound before the solution runs: it may rebind the module-level names of this harness.
    same, deepcopy, call_test = _same, copy.deepcopy, _call_test
    solution = types.ModuleType("solution")
    solution.__file__ = "${JOB_DIR}/solution.py"
    sys.modules["solution"] = solution
    # "import __main__" from the solution finds itself, not this harness.
    sys.modules["__main__"] = solution
    sys.modules["pytest"] = _pytest_stand_in()
    restore, plain, guarded, namespace, pin = _make_guard()
    g = solution.__dict__
    with open("${JOB_DIR}/solution.py") as f:
        source = f.read()

    if spec["mode"] == "call":
        cases = spec["cases"]
        report("count", str(len(cases)))
        # LeetCode-style solutions take typing names and the usual modules as given.
        exec("from typing import *\nimport collections, heapq, math, itertools, functools, bisect, string, re\nfrom collections import *\nfrom heapq import *\nfrom itertools import *\nfrom functools import *\nfrom bisect import *", g)
        st = timed(lambda: exec(compile(source, "solution.py", "exec"), g))
        restore()
        if st != "pass":
            return setup_failed(st)
        name = spec["fn_name"]
        cls = g.get("Solution")
        if type(cls) is type and hasattr(cls, name):
            target = lambda: guarded(getattr(cls(), name))
        elif callable(g.get(name)):
            target = lambda: guarded(g[name])
        else:
            err.write("no function or Solution method named " + name + "\n")
            return setup_failed("runtime_error")
        for i, case in enumerate(cases):
            box = {}
            def call():
                box["out"] = target()(*deepcopy(case["args"]))
            st = timed(call)
            restore()
            if st == "pass":
                exp = case["expected"]
                out = box["out"]
                ok = same(out, exp) or (spec["unwrap_single"] and isinstance(exp, list) and len(exp) == 1 and same(out, exp[0]))
                st = "pass" if ok else "wrong_answer"
            result(i, st, lambda: name + " returned a different value than " + repr(exp))
        return

    tree = ast.parse(tests_source, "tests.py")
    del tests_source
    body = tree.body
    entry = spec.get("entry_point")
    top_asserts = [n for n in body if isinstance(n, ast.Assert)]
    test_fns = []
    for n in body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test"):
            cases = _param_cases(n)
            test_fns += [(n.name, None)] if cases is None else [(n.name, k) for k in range(cases)]
    check = next((n for n in body if isinstance(n, ast.FunctionDef) and n.name == "check" and n.args.args), None)
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    has_assert = lambda node: any(isinstance(x, ast.Assert) for x in ast.walk(node))
    if top_asserts:
        kind, count = "asserts", len(top_asserts)
    elif test_fns:
        kind, count = "functions", len(test_fns)
    elif check is not None and entry:
        kind, count = "check", sum(1 for n in check.body if has_assert(n))
    else:
        # No unit to tell apart (e.g. a script that calls its own check): one test for the whole.
        kind, count = "whole", 1
    report("count", str(count))
    st = timed(lambda: exec(compile(source, "solution.py", "exec"), g))
    restore()
    if st != "pass":
        return setup_failed(st)
    if kind == "check" and entry not in g:
        err.write("entry point " + entry + " is not defined\n")
        return setup_failed("runtime_error")
    # The tests run in their own namespace (see python-guard.ts), never in the solution's globals.
    tg = namespace(g, called, kind == "check")
    tested = types.ModuleType("solution")
    tested.__dict__.update(tg)
    pin("solution", tested)
    one = lambda node: compile(ast.Module(body=[node], type_ignores=[]), "tests.py", "exec")
    def run(fn):
        restore()
        st = timed(fn)
        restore()
        return st

    if kind == "whole":
        result(0, run(lambda: exec(compile(tree, "tests.py", "exec"), tg)))
        return
    if kind == "asserts":
        i = 0
        for node in body:
            st = run(lambda: exec(one(node), tg))
            if isinstance(node, ast.Assert):
                result(i, st, lambda: ast.unparse(node))
                i += 1
            elif st != "pass":
                return setup_failed(st)
        return
    # Setup: every top-level statement except a call of check itself.
    for node in body:
        if kind == "check" and isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", None) == "check":
            continue
        st = run(lambda: exec(one(node), tg))
        if st != "pass":
            return setup_failed(st)
    if kind == "functions":
        for i, (name, case) in enumerate(test_fns):
            result(i, run(lambda: call_test(tg[name], case)), lambda: "an assertion in " + name)
        return
    tg[check.args.args[0].arg] = guarded(g[entry])
    i = 0
    for node in check.body:
        st = run(lambda: exec(one(node), tg))
        if has_assert(node):
            result(i, st, lambda: ast.unparse(node))
            i += 1
        elif st != "pass":
            return setup_failed(st)

try:
    _main()
except _AhaStop:
    pass
`;
