"""No client data in any temporary or leftover file when a record is handed to the EPD.

The renderings run in a fresh Python whose TMPDIR (TEMP and TMP on Windows) is an empty private
folder; afterwards that folder must hold nothing with the canary, and the chosen output folder
nothing but the files asked for (no ``.partial`` left by the safe writer).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

CANARY = "KANARIE-7f3a9c"

SCRIPT = textwrap.dedent(
    f"""
    import io, json, sys
    from datetime import UTC, datetime
    from pathlib import Path
    sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
    from support.records import example_answers, part_answers, record_of
    from kindcheck.accesslog import new_entry
    from kindcheck.paths import write_output
    from kindcheck.record import (
        DossierClient, render_client_dossier, render_fhir, render_json, render_pdf, render_text,
    )

    out = Path(sys.argv[1])
    answers = example_answers("v2-flag-handoff.json")
    answers["client"]["name"] = "{CANARY} naam"
    part_answers(answers, "kindcheck")["clinician_note"] = "{CANARY} notitie"
    record = record_of(answers)
    write_output(out / "verslag.txt", render_text(record, "nl").encode("utf-8"))
    write_output(out / "verslag.json", render_json(record).encode("utf-8"))
    write_output(out / "verslag.pdf", render_pdf(record, "nl"))
    write_output(out / "verslag.fhir.json", json.dumps(render_fhir(record)).encode("utf-8"))
    now = datetime.now(UTC)
    log = [new_entry(None, "read", "me", "EPD-200006", "session", now=now)]
    dossier = render_client_dossier(
        DossierClient("EPD-200006", "{CANARY} naam", now), [record], log,
        produced_at=now, produced_by="me",
    )
    write_output(out / "dossier.pdf", dossier.pdf)
    write_output(out / "dossier.json", dossier.json.encode("utf-8"))
    """
)


def test_handing_a_record_to_the_epd_leaves_no_client_data_in_temporary_files(
    tmp_path: Path,
) -> None:
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir(mode=0o700)
    out = tmp_path / "out"
    out.mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(private_tmp),
        "TEMP": str(private_tmp),
        "TMP": str(private_tmp),
    }
    subprocess.run([sys.executable, "-c", SCRIPT, str(out)], env=env, check=True, timeout=300)
    leftovers = [path for path in private_tmp.rglob("*")]
    canary = CANARY.encode()
    assert not [p for p in leftovers if p.is_file() and canary in p.read_bytes()]
    assert leftovers == [], leftovers  # nothing at all was written there
    written = sorted(path.name for path in out.iterdir())
    assert written == [
        "dossier.json",
        "dossier.pdf",
        "verslag.fhir.json",
        "verslag.json",
        "verslag.pdf",
        "verslag.txt",
    ]
    # The canary did reach the files the clinician asked for (so the scan above could see it).
    assert canary in (out / "verslag.txt").read_bytes()
    assert canary in (out / "dossier.json").read_bytes()
    from pypdf import PdfReader

    pdf_text = "".join(
        page.extract_text() or ""
        for page in PdfReader(io.BytesIO((out / "verslag.pdf").read_bytes())).pages
    )
    assert CANARY in pdf_text


def test_importing_the_record_package_loads_neither_fpdf2_nor_fhir_resources() -> None:
    """``kindcheck --help`` stays fast: the heavy libraries load only when a PDF or FHIR is made."""
    code = (
        "import sys, kindcheck.record; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fpdf', 'fhir', 'fhir_core', 'PIL')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
