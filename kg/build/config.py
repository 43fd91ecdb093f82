"""What one `kg build` is asked to do (`BuildConfig`), checked before any work, and where it writes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kg.errors import ConfigError
from kg.rdf import formats
from kg.similarity import METHODS
from kg.sources.mesh_vocabulary import BUNDLED_MESH
from kg.validation import ENGINES as SHACL_ENGINES


def mesh_file_of(option: str | None) -> Path | None:
    """`--mesh`: absent means the bundled MeSH, `none` no NLM hierarchy, anything else the user's file."""
    if option is None:
        return BUNDLED_MESH
    if not option.strip():
        raise ConfigError("--mesh needs a MeSH file, or none")
    return None if option.strip().lower() == "none" else Path(option)


@dataclass(frozen=True, kw_only=True)
class BuildConfig:
    """Everything one `kg build` is asked to do. Keyword-built; options that contradict each other are
    refused here, before anything is read or written."""

    inputs: list[str]
    output: Path
    rdf_format: str | None = None  # turtle, nt or jsonld; None: from the output's extension
    input_format: str = "auto"
    strict: bool = False  # exit 1 when any record is rejected
    batch_size: int = 64  # input documents handed to a worker at a time
    include_contacts: bool = False
    jobs: int = 1  # worker processes (always forked, also for 1)
    shacl_engine: str = "core"  # or "pyshacl", the reference engine
    store_dir: Path | None = None  # also load the graph into this store
    update: bool = False  # with store_dir: rebuild only trials newer than the store's copy
    related: int | None = None  # add each trial's top K computed neighbours
    related_method: str = METHODS[0]
    # NLM's MeSH hierarchy above the graph's descriptors: the bundled 2024 Diseases/Psychiatry table, the
    # user's own NLM file (descYYYY.xml, MeSH RDF N-Triples or a MeSH table), or None (learned ancestry only).
    mesh_file: Path | None = BUNDLED_MESH
    # Set by `build` itself: the last-update date the store holds per trial (update), and the resolved
    # paths a walk of the input folders skips (its own outputs).
    stored_updates: dict[str, str] | None = None
    exclude: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.update and self.store_dir is None:
            raise ConfigError("--update needs --store DIR: it rebuilds only trials newer than the store's copy")
        if self.update and self.related:
            raise ConfigError(
                "--update computes no --related edges (they depend on every trial): build without --update"
            )
        if self.related is not None and self.related < 1:
            raise ConfigError(f"--related must be 1 or more, not {self.related}")
        if self.related_method not in METHODS:
            raise ConfigError(f"unknown --related-method {self.related_method!r}; choose from {', '.join(METHODS)}")
        if self.shacl_engine not in SHACL_ENGINES:
            raise ConfigError(f"unknown SHACL engine {self.shacl_engine!r}; choose from {', '.join(SHACL_ENGINES)}")
        if self.jobs < 1 or self.batch_size < 1:
            raise ConfigError("--jobs and --batch-size must be 1 or more")
        formats.for_output(self.output, self.rdf_format)  # an extension naming another format is refused now
        if self.mesh_file is not None and not self.mesh_file.is_file():
            what = "a folder, not a MeSH file" if self.mesh_file.is_dir() else "no such file"
            raise ConfigError(f"--mesh {self.mesh_file}: {what} (nothing was built)")
        missing = [path for path in self.inputs if not os.path.lexists(path)]
        if missing:  # a mistyped path is the user's to fix, not a record to count as rejected
            raise ConfigError(f"{missing[0]}: no such file or folder (nothing was built)")

    @property
    def written_format(self) -> str:
        return formats.for_output(self.output, self.rdf_format).name

    @property
    def fills_store_while_building(self) -> bool:
        """The store is filled as the graph is written, unless edges are added afterwards, only changed
        trials are built, or the output is JSON-LD (written whole at the end)."""
        return self.store_dir is not None and not self.update and not self.related and self.written_format != "jsonld"


def sidecar_paths(output: Path) -> tuple[Path, Path]:
    """`out/graph.ttl` -> (`out/graph.report.ttl`, `out/graph.rejects.jsonl`)."""
    stem = output.with_suffix("") if output.suffix else output
    return stem.with_name(stem.name + ".report.ttl"), stem.with_name(stem.name + ".rejects.jsonl")
