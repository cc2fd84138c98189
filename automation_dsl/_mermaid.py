"""An automation as a Mermaid flowchart, for Markdown that renders Mermaid (GitHub, mkdocs).

Steps are nodes top to bottom (delays as rounded nodes, cancel steps as hexagons), a
condition labels the edge into the step it gates, a ref is a dotted edge from the step that
sets it to each step that reads it, and the cancelation token is a node of its own.

Every label is quoted, and each character outside a small safe set (letters, digits,
space and ``.,:_-=+/``) is written as Mermaid's numeric entity (``#60;`` for ``<``), so
no label can close its node, start a link or a comment, or carry markup; control
characters and lone surrogates are replaced first.

Examples:
    >>> from automation_dsl import Automation
    >>> print(flow_mermaid(Automation().send("A<b>", if_="data.x > 1")))
    flowchart TD
      s0["0 send: template=A#60;b#62;"]
      start([start]) -->|"if data.x #62; 1"| s0
"""

from __future__ import annotations

import re

from ._ref import Ref
from ._steps import AutomationLike, Cancel, Delay
from ._svg import MAX_STEPS, clean, condition_text, delay_text, refs_read, step_text

_SAFE = re.compile(r"[A-Za-z0-9 .,:_=+/-]")


def label(text: object, limit: int = 80) -> str:
    """``text`` as the inside of a quoted Mermaid label: one line, at most ``limit``
    characters, every character outside the safe set as a ``#<code>;`` entity.

    Examples:
        >>> label('say "hi" & <b>')
        'say #34;hi#34; #38; #60;b#62;'
    """
    return "".join(
        char if _SAFE.fullmatch(char) else f"#{ord(char)};" for char in clean(text, limit)
    )


def flow_mermaid(automation: AutomationLike) -> str:
    """An automation as Mermaid flowchart text (what [`Automation.to_mermaid`][] returns).

    Examples:
        >>> from automation_dsl import Automation
        >>> text = flow_mermaid(Automation("t").send("A", ref="a").cancel("t"))
        >>> 'token{{"cancelation token: t"}}' in text and 's1{{"1 cancel: token=t"}}' in text
        True
    """
    steps = automation.steps
    shown = steps[:MAX_STEPS]
    lines = ["flowchart TD"]
    token = automation.cancelation_token
    if token is not None:
        text = f"$ref {token.path}" if isinstance(token, Ref) else str(token)
        lines.append(f'  token{{{{"{label(f"cancelation token: {text}")}"}}}}')
    for index, step in enumerate(shown):
        if isinstance(step, Delay):
            lines.append(f'  s{index}(["{label(f"{index} {delay_text(step)}")}"])')
        else:
            text = label(f"{index} {step.action}: {step_text(step)}")
            if step.ref:
                text += " " + label(f"(ref={step.ref})", 30)
            shape = ('{{"', '"}}') if isinstance(step, Cancel) else ('["', '"]')
            lines.append(f"  s{index}{shape[0]}{text}{shape[1]}")
    if len(steps) > MAX_STEPS:
        lines.append(f'  more["{len(steps) - MAX_STEPS} more steps not drawn"]')
    edges = []
    for index, step in enumerate(shown):
        source = f"s{index - 1}" if index else "start([start])"
        condition = condition_text(step)
        if condition is not None:
            edges.append(f'  {source} -->|"if {label(condition, 60)}"| s{index}')
        elif index:
            edges.append(f"  {source} --> s{index}")
    setters: dict[str, int] = {}
    for index, step in enumerate(shown):
        for name in sorted(refs_read(step)):
            if name in setters:
                edges.append(f'  s{setters[name]} -.->|"refs.{label(name, 30)}"| s{index}')
        if step.ref:
            setters[step.ref] = index
    if len(steps) > MAX_STEPS:
        edges.append(f"  s{MAX_STEPS - 1} --> more")
    return "\n".join(lines + edges)
