"""Run every ```python block of README.md and docs/*.md, so the documentation stays true.

Each block runs in a fresh namespace with the working directory set to a temporary
directory holding a copy of ``examples/data`` (so ``"examples/data/penguins.csv"``
resolves, and files a block writes, such as a saved model, land in the temporary
directory). A block whose first line is ``# continues`` runs in the namespace of the
block before it in the same file, after it; a chain of such blocks is one test, named
by the file and line of its first block. A failure's traceback points at the markdown
file and line.

Only ``python`` blocks run. Rust blocks (```rust) are not compiled here: the rustdoc
doctests in ``crates/core`` are the compiled Rust examples, and the Rust snippets of the
guides are kept consistent with the API by hand.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CONTINUES = "# continues"
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the first line of code (after the opening fence)
    code: str


@dataclass
class Chain:
    blocks: list[Block] = field(default_factory=list)

    @property
    def id(self) -> str:
        first = self.blocks[0]
        return f"{first.path.relative_to(ROOT)}:{first.line}"


def python_blocks(path: Path) -> list[Block]:
    """The ```python blocks of a markdown file, in order."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.groups()
        start = i + 1
        j = start
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        if lang == "python":
            body = [line[len(indent) :] if line.startswith(indent) else line for line in lines[start:j]]
            blocks.append(Block(path, start + 1, "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def chains() -> list[Chain]:
    out: list[Chain] = []
    for path in DOCS:
        if not path.exists():
            continue
        previous: Chain | None = None
        for block in python_blocks(path):
            first = block.code.lstrip("\n").split("\n", 1)[0].strip()
            if first == CONTINUES:
                if previous is None:
                    raise ValueError(
                        f"{path.relative_to(ROOT)}:{block.line}: `{CONTINUES}` on the first python block of the file"
                    )
                previous.blocks.append(block)
            else:
                previous = Chain([block])
                out.append(previous)
    return out


CHAINS = chains()


@pytest.fixture
def in_tmp_with_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples" / "data", tmp_path / "examples" / "data")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("chain", CHAINS, ids=[c.id for c in CHAINS])
def test_python_block_runs(chain: Chain, in_tmp_with_data: Path) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in chain.blocks:
        # Pad with blank lines so tracebacks show the markdown file's own line numbers.
        source = "\n" * (block.line - 1) + block.code
        code = compile(source, str(block.path), "exec")
        exec(code, namespace)


def test_docs_have_python_examples() -> None:
    names = {c.blocks[0].path.name for c in CHAINS}
    assert "README.md" in names
    assert "transforms.md" in names


def test_block_extraction(tmp_path: Path) -> None:
    path = tmp_path / "check.md"
    path.write_text(
        "intro\n```python\nx = 1\n```\n\n```rust\nlet y = 2;\n```\n~~~python\n# continues\nassert x == 1\n~~~\n",
        encoding="utf-8",
    )
    blocks = python_blocks(path)
    assert [(b.line, b.code) for b in blocks] == [(3, "x = 1\n"), (10, "# continues\nassert x == 1\n")]
