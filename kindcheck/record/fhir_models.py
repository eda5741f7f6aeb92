"""The one place that touches fhir.resources: validating a resource and reading a Bundle.

fhir.resources 8.x, its ``R4B`` models (:data:`FHIR_RELEASE`); why that release line is in
:mod:`kindcheck.record.fhir_bundle`. Imported inside the functions, so that importing
kindcheck (and ``kindcheck --help``) does not load pydantic's FHIR models (about half a second).
"""

from __future__ import annotations

import json
from typing import Any, Final

FHIR_RELEASE: Final = "R4B"  # the fhir.resources subpackage


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate a resource with fhir.resources and return it as the model serialises it."""
    from fhir.resources.R4B import get_fhir_model_class

    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    result: dict[str, Any] = json.loads(model.model_dump_json(exclude_none=True))
    return result


def parse_bundle(document: dict[str, Any]) -> dict[str, Any]:
    """A Bundle read and written again by fhir.resources (what a round trip gives)."""
    from fhir.resources.R4B.bundle import Bundle

    result: dict[str, Any] = json.loads(
        Bundle.model_validate_json(json.dumps(document)).model_dump_json(exclude_none=True)
    )
    return result
