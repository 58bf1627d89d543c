-- Giải Trình: one database per service. Each service owns its data and reaches the others
-- only through Kafka topics, so no service is ever given another service's database URL.
-- Runs once, as POSTGRES_USER, when the postgres volume is first initialised.
CREATE DATABASE intake;
CREATE DATABASE routing;
CREATE DATABASE scoring;
CREATE DATABASE notify;
