"""The registry import as a background job (kind ``registry.import_households``): the file a
registrar uploaded on the import page, imported by ``import_households`` as the command line
does, with its progress on the job's page and the reject report kept with the job.

What a stop in the middle leaves (a worker killed, the machine restarted): the importer writes
each chunk of households in one transaction, and a chunk never splits a household, so every
household is stored with all its members or not at all. The job can be run again from the
start: rows already imported count as unchanged. So the kind is resumable."""

from __future__ import annotations

from typing import Any

from spmis.errors import InvalidInput
from spmis.jobs import JobKind, JobWork, register
from spmis.registry.fileformat import FileFormatError
from spmis.registry.importer import ImportSummary, import_households

KIND = "registry.import_households"
REJECTS = "rejects.csv"


def _counts(s: ImportSummary) -> dict[str, Any]:
    return {
        "rows_read": s.rows_read, "households_created": s.households_created,
        "people_created": s.people_created, "rows_unchanged": s.rows_unchanged,
        "rows_rejected": s.rows_rejected, "rows_held": s.rows_held, "batch_id": s.batch_id,
    }


def _message(s: ImportSummary) -> tuple[str, str]:
    return (f"{s.rows_read:,} rows read: {s.households_created:,} households and "
            f"{s.people_created:,} people created, {s.rows_unchanged:,} already there, "
            f"{s.rows_rejected:,} rejected, {s.rows_held:,} with a number awaiting a reviewer",
            f"បានអាន {s.rows_read:,} ជួរ៖ បានបង្កើតគ្រួសារ {s.households_created:,} និង"
            f"មនុស្ស {s.people_created:,} នាក់, មានរួចហើយ {s.rows_unchanged:,}, "
            f"បានបដិសេធ {s.rows_rejected:,}, មានលេខរង់ចាំអ្នកពិនិត្យ {s.rows_held:,}")


def run_import(work: JobWork) -> dict[str, Any]:
    """Import the uploaded households file; the result holds the counts."""
    source = work.input_file(str(work.parameters["upload"]))

    def report(summary: ImportSummary, total: int | None) -> None:
        work.progress(summary.rows_read, total, *_message(summary))

    work.progress(0, None, "starting", "កំពុងចាប់ផ្តើម")
    try:
        summary = import_households(work.ctx, source, work.actor,
                                    reject_path=work.folder / REJECTS, progress=False,
                                    on_chunk=report,
                                    shown_name=work.parameters.get("file_name"))
    except FileFormatError as exc:
        text = str(exc).replace(str(source), "the file").replace(source.name, "the file")
        raise InvalidInput.one(("file",), "invalid_file", text,
                               f"ឯកសារនេះមិនអាចអានបានទេ៖ {text}") from exc
    work.progress(summary.rows_read, summary.rows_read, *_message(summary))
    return {"file": work.parameters.get("file_name"), **_counts(summary),
            "seconds": round(summary.seconds, 1)}


register(JobKind(
    name=KIND, title="Import a households file", title_km="នាំចូលឯកសារគ្រួសារ",
    run=run_import, roles=frozenset({"admin", "registrar"}), resumable=True,
    restart_hint=("upload the file again: rows already imported count as unchanged",
                  "សូមផ្ទុកឯកសារឡើងម្តងទៀត៖ ជួរដែលបាននាំចូលរួចនឹងរាប់ថាមិនផ្លាស់ប្តូរ"),
))
