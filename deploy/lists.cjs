// A comma-separated stage parameter as a list: blanks and empty entries dropped.
const splitList = (value) =>
  String(value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

module.exports = { splitList };
