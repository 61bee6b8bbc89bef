// Run by the mongo image's entrypoint (as root, against a not yet replicated mongod) when the database volume is
// first initialised: the user the FHIR server connects as, with read and write access to its database only.
const password = require('fs').readFileSync('/secrets/fhir-password', 'utf8').trim();
db.getSiblingDB('admin').createUser({ user: 'fhir', pwd: password, roles: [{ role: 'readWrite', db: 'fhir' }] });
