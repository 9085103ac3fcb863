"""The API's wire shapes: one pydantic model per response (``GET /openapi.json`` publishes them,
``web/js/types.js`` is generated from them by ``scripts/jsdoc_types.py``).

Every model forbids fields it does not declare (:class:`Wire`): a route answering with a field
its model does not describe fails (500 for routes FastAPI validates, and the contract test
``tests/api/test_contracts.py`` for all of them) instead of drifting from its description.
"""
