"""Situation reports, as the city's offices made them three times a day in the 2021 waves.

Service since the last report (trips run and lost, headway kept, incidents and alarms), crew
counts with their changes (F0, F1, on site, available), the coverage outlook for the next
days and the current what-if forecast, in Vietnamese and English, as HTML and PDF; stored in
the database, listed and downloaded through ``/api/reports``, made on a schedule (07:00,
11:00, 17:00 local by default), on demand, or offline by ``metro-ops report``, and optionally
announced to a webhook.

Public API, by module (imported from there: the settings import this package, and the
renderers, the solver and the simulation results are too heavy to load with them):

* :mod:`reports.config` — ``ReportSettings`` (section ``[reports]``);
* :mod:`reports.service` — ``ReportService`` (``produce``, ``list``, ``get``, ``content``,
  ``html``, ``pdf``, ``deliver``, ``run``), ``build_reports(rt)``, ``ReportNotFound``;
* :mod:`reports.content` — ``Sources``, ``gather`` and the pure ``*_facts`` functions,
  ``forecasts_from_service``/``forecasts_from_store``;
* :mod:`reports.model` — ``SituationReport`` and its sections, ``ReportKind``;
* :mod:`reports.scheduler` — ``Schedule``, ``ReportScheduler``;
* :mod:`reports.store` — ``ReportStore``, ``ReportRecord``, ``SlotTaken``;
* :mod:`reports.webhook` — ``Webhook``, ``payload``;
* :mod:`reports.layout`, :mod:`reports.render_html`, :mod:`reports.render_pdf`.
"""
