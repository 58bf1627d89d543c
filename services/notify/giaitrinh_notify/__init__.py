"""notify — telling people: rules, Vietnamese templates, email/SMS/webhook/in-app delivery,
retries with back-off, no duplicates, a delivery log, preferences."""
