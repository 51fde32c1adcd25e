-- One database per service: no service reads another's tables.
CREATE DATABASE intake;
CREATE DATABASE catalog;
CREATE DATABASE feedback;
CREATE DATABASE prioritizer;
