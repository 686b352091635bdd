// The part of the Python test harness that keeps the solution from changing what the tests see.
// A model rewarded for passing tests learns any shortcut that makes them pass: rebinding a
// builtin the asserts use (`def set(x): return 0` under `assert set(f(a)) == set(b)`), patching
// a module the tests import (`math.isclose = lambda *a, **k: True`), or returning an object
// whose `__eq__` is always true. So, captured before the solution runs:
//   - the builtins, `sys.modules` and the dicts of the standard modules tests use, restored
//     before every test and after every call of a solution function;
//   - the tests get their own namespace: the solution's names minus its dunders, minus any name
//     shadowing a builtin unless that name is itself the function under test (MBPP task 126
//     asks for a function called `sum`), with a private copy of the builtins;
//   - every callable the solution hands the tests is wrapped so that what it returns must be
//     plain data: built of types that existed before the solution ran (int, str, list, dict,
//     Counter, Fraction, …), never a class the solution made.
// This closes the generic hacks. It cannot stop a program written against this harness that
// walks interpreter frames or uses ctypes; docs/rewards.md says so.
export const PYTHON_GUARD = String.raw`
# Imported before the solution so that their classes count as plain data and their dicts can be restored.
import array, bisect, cmath, collections, datetime, decimal, fractions, functools, heapq, itertools, operator, random, statistics, string, typing

_GUARDED_MODULES = (math, cmath, re, json, copy, collections, functools, itertools, heapq, bisect, operator, random, statistics, string, typing, fractions, decimal, datetime, array)

def _all_types():
    seen, stack = set(), [object]
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen.add(t)
        try:
            stack.extend(type.__subclasses__(t))
        except TypeError:
            pass
    return frozenset(seen)

def _make_guard():
    # Only locals from here on: nothing the solution can rebind by name reaches these functions.
    bdict = builtins.__dict__
    saved_builtins = dict(bdict)
    modules = sys.modules
    saved_modules = dict(modules)
    saved_dicts = [(m.__dict__, dict(m.__dict__)) for m in _GUARDED_MODULES]
    trusted = _all_types()
    type_, issubclass_, id_, callable_, set_ = type, issubclass, id, callable, set
    dict_t, seq_t, module_t, type_t, bool_t = dict, (list, tuple, set, frozenset, collections.deque), types.ModuleType, type, bool

    def restore():
        bdict.clear()
        bdict.update(saved_builtins)
        for k, v in saved_modules.items():
            if modules.get(k) is not v:
                modules[k] = v
        for d, saved in saved_dicts:
            d.clear()
            d.update(saved)

    def plain(v):
        stack, seen = [v], set_()
        while stack:
            x = stack.pop()
            t = type_(x)
            if t not in trusted:
                return False
            if id_(x) in seen:
                continue
            seen.add(id_(x))
            if issubclass_(t, dict_t):
                stack.extend(x.keys())
                stack.extend(x.values())
            elif issubclass_(t, seq_t):
                stack.extend(x)
        return True

    def guarded(fn):
        def call(*args, **kwargs):
            out = fn(*args, **kwargs)
            restore()
            if not plain(out):
                raise TypeError("the solution returned an object of a class it made; tests compare plain data only")
            return out
        call.__wrapped__ = fn
        return call

    def wrappable(v):
        t = type_(v)
        return callable_(v) and not issubclass_(t, type_t) and not issubclass_(t, module_t)

    def namespace(g, called, under_test_known):
        # The tests' globals: see python-guard.ts for why each rule exists.
        tested = [k for k in called if k in g and k not in saved_builtins]
        hide_shadows = under_test_known or bool_t(tested)
        tg = {}
        for k, v in list(g.items()):
            if type_(k) is not str or k.startswith("__") or (hide_shadows and k in saved_builtins):
                continue
            tg[k] = guarded(v) if wrappable(v) else v
        tg["__builtins__"] = dict(saved_builtins)
        tg["__name__"] = "__aha_tests__"
        return tg

    def pin(name, module):
        # A module the tests import by name (the guarded solution), kept by every restore.
        saved_modules[name] = module
        modules[name] = module

    return restore, plain, guarded, namespace, pin
`;
