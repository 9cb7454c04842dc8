"""Generated requests against the API: no 500, and every answer as the OpenAPI document says.

Schemathesis reads /api/v1/openapi.json from the app and sends a few hundred generated
requests (valid and invalid ones) through WSGI, authenticated as a staff member whose
department owns some events, with venues, contacts and another department's events around.
"""

from contextlib import suppress
from datetime import datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import one_of
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.accounts.models import Role
from app.extensions import db
from tests.factories import (
    make_audience,
    make_contact,
    make_event,
    make_token,
    make_user,
    make_venue,
)

EXAMPLES_PER_OPERATION = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _seed() -> str:
    """Create data to find and change; return a staff member's API token."""
    staff = make_user()
    other = make_user()
    venue = make_venue()
    audience = make_audience()
    start = datetime(2027, 3, 4, 18, 0)
    for n, visibility in enumerate(("public", "internal", "confidential")):
        make_event(staff, status="published", visibility=visibility, start=start.replace(day=4 + n))
        make_event(other, status="published", visibility=visibility, start=start.replace(day=4 + n))
    make_event(staff, venue_id=venue.id, audiences=[audience.code], start=start.replace(day=9))
    for n in range(3):
        make_contact(email=f"gast{n}@example.org")
    make_user(Role.COMMS)
    token = make_token(staff)
    db.session.commit()
    return token


@pytest.fixture
def api_schema(app):
    """Return the API's own OpenAPI document (loaded through WSGI) and a staff member's headers."""
    token = _seed()
    config = schemathesis.Config()
    config.projects.default.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=EXAMPLES_PER_OPERATION,
        database="none",
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    return schema, {"Authorization": f"Bearer {token}"}


def _run(strategy, headers: dict, sent: list) -> None:
    """Send cases drawn from a strategy, checking every response against the document."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case) -> None:
        """Call the API with one case and validate the answer against the document."""
        sent.append(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    check()


def test_api_answers_as_its_openapi_document_says(api_schema):
    schema, headers = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    sent: list[int] = []
    for operation in operations:
        if examples := schema.get_strategies_from_examples(operation):
            _run(one_of(examples), headers, sent)  # the document's own examples (a valid event)
        _run(operation.as_strategy(generation_mode=GenerationMode.POSITIVE), headers, sent)
        # Nothing to get wrong without parameters and body (GET /departments).
        with suppress(Unsatisfiable):
            _run(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE), headers, sent)
    assert len(sent) >= 200 and {200, 201, 404, 422} <= set(sent), sorted(set(sent))
