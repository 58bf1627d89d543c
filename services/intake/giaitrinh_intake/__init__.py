"""intake — the front door: portal, JSON API, Open311, and the inbound topic. Validates,
stores, issues tracking codes, emits ``request.submitted``; keeps the public timeline."""
