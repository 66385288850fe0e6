const jwt = require("jsonwebtoken");

function whoami(token) {
  const claims = jwt.decode(token);
  return claims.sub;
}
module.exports = { whoami };
