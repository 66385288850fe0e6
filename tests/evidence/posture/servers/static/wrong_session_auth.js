const sessions = new Map();

function handle(req, res) {
  const origin = req.headers.origin;
  const sid = req.headers["mcp-session-id"];
  const user = sessions.get(sid);
  res.json({ user, origin });
}
module.exports = { handle };
