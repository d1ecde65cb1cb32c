"""The `:` command language, parsed and completed without any UI (k9s-style)."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quit:
    pass


@dataclass(frozen=True, slots=True)
class ShowHelp:
    pass


@dataclass(frozen=True, slots=True)
class SetNamespace:
    namespace: str
    """A namespace name, or "" for all namespaces."""


@dataclass(frozen=True, slots=True)
class SetContext:
    context: str


@dataclass(frozen=True, slots=True)
class GoTo:
    """Open a list of a kind: `:po`, `:deploy payments`, `:po -A`, `:po @member -l app=x`."""

    kind: str
    namespace: str | None = None
    """None keeps the current namespace; "" means all namespaces."""
    context: str | None = None
    selector: str = ""


@dataclass(frozen=True, slots=True)
class OpenSection:
    """`:workspaces`: a section by its name (the kind of the same name: `:workspaces -A`);
    `:appstore`: a section at one of its views (a word the section names for it)."""

    name: str
    view: str = ""


@dataclass(frozen=True, slots=True)
class OpenLogs:
    """`:logs -l app=web [-n ns | -A] [@host,member] [--since 5m] [--tail N] [--previous]`,
    or `:logs POD`: every pod of a selector (or one pod) on one context or several."""

    pod: str = ""
    selector: str = ""
    namespace: str | None = None
    """None keeps the current namespace; "" means all namespaces."""
    contexts: tuple[str, ...] = ()
    """() means the current context."""
    since: str = ""
    tail: int | None = 500
    previous: bool = False


@dataclass(frozen=True, slots=True)
class OpenEvents:
    """`:events [-n ns | -A] [--warnings] [@ctx]`: live events, repeats grouped."""

    namespace: str | None = None
    context: str | None = None
    warnings: bool = False


@dataclass(frozen=True, slots=True)
class OpenForwards:
    """`:pf`: the running port-forwards."""


Command = (
    Quit
    | ShowHelp
    | SetNamespace
    | SetContext
    | GoTo
    | OpenSection
    | OpenLogs
    | OpenEvents
    | OpenForwards
)

NAMESPACE_WORDS = ("ns", "namespace")
CONTEXT_WORDS = ("ctx", "context")
QUIT_WORDS = ("q", "q!", "quit", "exit")
HELP_WORDS = ("help", "h", "?")
ALL_NAMESPACES = ("-A", "--all-namespaces", "all", "*")
LOGS_WORDS = ("logs", "log")
EVENTS_WORDS = ("events",)
FORWARDS_WORDS = ("pf", "port-forwards", "portforwards")


class CommandError(ValueError):
    """The line could not be understood; the message says why."""


def expand_alias(text: str, aliases: Mapping[str, str]) -> str:
    words = text.split(maxsplit=1)
    if words and words[0] in aliases:
        return aliases[words[0]] + (" " + words[1] if len(words) > 1 else "")
    return text


def parse(
    text: str,
    aliases: Mapping[str, str] | None = None,
    sections: Iterable[str] = (),
    views: Mapping[str, tuple[str, str]] | None = None,
) -> Command:
    """`views`: a word → (section, view) that opens the section at that view (`:repos`)."""
    text = expand_alias(text.strip().lstrip(":").strip(), aliases or {})
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise CommandError(f"cannot read {text!r}: {exc}") from None
    if not words:
        raise CommandError("empty command: type a kind (po, deploy, ...), ns, ctx or q")
    head, rest = words[0], words[1:]
    if head in QUIT_WORDS:
        return Quit()
    if head in HELP_WORDS:
        return ShowHelp()
    if head in sections and not rest:
        return OpenSection(head)
    if views and head in views and not rest:
        return OpenSection(*views[head])
    if head in NAMESPACE_WORDS and rest:
        if len(rest) > 1:
            raise CommandError(f"`:{head}` takes one namespace, got {' '.join(rest)}")
        return SetNamespace("" if rest[0] in ALL_NAMESPACES else rest[0])
    if head in LOGS_WORDS:
        return _logs(rest)
    if head in EVENTS_WORDS:
        return _events(rest)
    if head in FORWARDS_WORDS and not rest:
        return OpenForwards()
    if head in CONTEXT_WORDS and rest:
        if len(rest) > 1:
            raise CommandError(f"`:{head}` takes one context, got {' '.join(rest)}")
        return SetContext(rest[0])
    return _goto(head, rest)


def _needs(word: str, value: str | None, example: str) -> str:
    if not value:
        raise CommandError(f"{word} needs a value, e.g. {example}")
    return value


def _logs(words: list[str]) -> OpenLogs:
    pod, selector, since, tail, previous = "", "", "", 500, False
    namespace: str | None = None
    contexts: tuple[str, ...] = ()
    remaining = iter(words)
    for word in remaining:
        if word in ALL_NAMESPACES:
            namespace = ""
        elif word in ("-n", "--namespace"):
            namespace = _needs(word, next(remaining, None), "-n payments")
        elif word in ("-l", "--selector"):
            selector = _needs(word, next(remaining, None), "-l app=web")
        elif word == "--since":
            since = _needs(word, next(remaining, None), "--since 5m")
        elif word == "--tail":
            value = _needs(word, next(remaining, None), "--tail 100")
            if not value.isdigit():
                raise CommandError(f"--tail takes a number of lines, got {value!r}")
            tail = int(value)
        elif word in ("-p", "--previous"):
            previous = True
        elif word.startswith("@") and len(word) > 1:
            contexts = tuple(c for c in word[1:].split(",") if c)
        elif not word.startswith("-") and not pod:
            pod = word
        else:
            raise CommandError(f"unexpected {word!r} after :logs")
    if not pod and not selector:
        raise CommandError("`:logs` needs a pod name or -l SELECTOR, e.g. :logs -l app=web -A")
    return OpenLogs(pod, selector, namespace, contexts, since, tail, previous)


def _events(words: list[str]) -> OpenEvents:
    namespace: str | None = None
    context: str | None = None
    warnings = False
    remaining = iter(words)
    for word in remaining:
        if word in ALL_NAMESPACES:
            namespace = ""
        elif word in ("-n", "--namespace"):
            namespace = _needs(word, next(remaining, None), "-n payments")
        elif word in ("-w", "--warnings"):
            warnings = True
        elif word.startswith("@") and len(word) > 1:
            context = word[1:]
        elif namespace is None and not word.startswith("-"):
            namespace = word
        else:
            raise CommandError(f"unexpected {word!r} after :events")
    return OpenEvents(namespace, context, warnings)


def _goto(kind: str, words: list[str]) -> GoTo:
    namespace: str | None = None
    context: str | None = None
    selector = ""
    if "@" in kind:
        kind, context = kind.split("@", 1)
    remaining = iter(words)
    for word in remaining:
        if word in ALL_NAMESPACES:
            namespace = ""
        elif word in ("-n", "--namespace"):
            namespace = next(remaining, None)
            if namespace is None:
                raise CommandError("-n needs a namespace")
        elif word in ("-l", "--selector"):
            selector = next(remaining, "")
            if not selector:
                raise CommandError("-l needs a label selector, e.g. -l app=web")
        elif word.startswith("@") and len(word) > 1:
            context = word[1:]
        elif namespace is None and not word.startswith("-"):
            namespace = word
        else:
            raise CommandError(f"unexpected {word!r} after :{kind}")
    if not kind:
        raise CommandError("missing kind before @context")
    return GoTo(kind, namespace, context or None, selector)


def complete(
    text: str,
    *,
    kinds: Iterable[str],
    namespaces: Iterable[str] = (),
    contexts: Iterable[str] = (),
    aliases: Iterable[str] = (),
    sections: Iterable[str] = (),
) -> list[str]:
    """Whole-line completions for what has been typed so far, shortest first."""
    stripped = text.lstrip(":")
    words = stripped.split(" ")
    if len(words) == 1:
        word = words[0]
        if "@" in word:
            kind, partial = word.split("@", 1)
            return _matches(partial, contexts, prefix=f"{kind}@")
        pool = [*kinds, *aliases, *sections, *NAMESPACE_WORDS, *CONTEXT_WORDS, "quit", "help", "pf"]
        return _matches(word, pool)
    head, last = words[0], words[-1]
    before = " ".join(words[:-1]) + " "
    if head in CONTEXT_WORDS or last.startswith("@"):
        prefix = before + ("@" if last.startswith("@") else "")
        return _matches(last.lstrip("@"), contexts, prefix=prefix)
    if len(words) >= 2 and words[-2] in ("-l", "--selector"):
        return []
    return _matches(last, namespaces, prefix=before)


def _matches(partial: str, pool: Iterable[str], prefix: str = "") -> list[str]:
    lowered = partial.lower()
    found = sorted(
        {p for p in pool if p.lower().startswith(lowered) and p != partial},
        key=lambda p: (len(p), p),
    )
    return [prefix + p for p in found]
