#!/usr/bin/env bash
# Records docs/terminal-session.md: plan → interactive apply → Ctrl-C → apply → plan, typed into a
# real terminal (tmux) against `npm run demo-server`. Needs tmux. Usage: bash scripts/record-session.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "tmux is needed" >&2; exit 1; }
npm run build >/dev/null
envfile=$(mktemp)
npx tsx scripts/demo-server.ts --port 3999 --latency 250 --out "$envfile" >/dev/null 2>&1 &
server=$!
trap 'pkill -P $server 2>/dev/null; kill $server 2>/dev/null; tmux kill-session -t mb-sync-rec 2>/dev/null; rm -f "$envfile"' EXIT
for _ in $(seq 1 60); do grep -q MB_API_KEY "$envfile" 2>/dev/null && break; sleep 1; done

session=mb-sync-rec
tmux kill-session -t $session 2>/dev/null || true
tmux new-session -d -s $session -x 110 -y 50 -c "$PWD"
tmux set-option -t $session history-limit 50000 >/dev/null
tmux send-keys -t $session "set -a; . $envfile; set +a; export PS1='\$ '; clear" Enter
sleep 1
tmux clear-history -t $session
screen() { tmux capture-pane -t $session -p; }
wait_for() { for _ in $(seq 1 240); do screen | grep -q -- "$1" && return 0; sleep 0.5; done; echo "timed out waiting for: $1" >&2; exit 1; }

tmux send-keys -t $session "npx mb-sync plan" Enter
wait_for '^Plan:'
tmux send-keys -t $session "npx mb-sync apply" Enter
wait_for 'Only "yes"'
tmux send-keys -t $session "yes" Enter
wait_for '✓ card\.'
sleep 1
tmux send-keys -t $session C-c
wait_for '^Hint:'
tmux send-keys -t $session "clear -x; npx mb-sync apply --yes" Enter
wait_for 'Apply complete'
tmux send-keys -t $session "npx mb-sync plan" Enter
wait_for 'No changes'
sleep 1
tmux capture-pane -t $session -p -J -S - > "$envfile.txt"

node - "$envfile.txt" > docs/terminal-session.md <<'EOF'
const lines = require('fs').readFileSync(process.argv[2], 'utf8').replace(/\n+$/, '').split('\n');
const blocks = [];
for (const line of lines) {
  if (line.startsWith('$ ')) blocks.push([line.replace('clear -x; ', '')]);
  else if (blocks.length) blocks.at(-1).push(line);
}
const parts = blocks.filter((b) => b[0].trim() !== '$').map((b) => {
  // The plan printed again before an apply's prompt is replaced by a marked line.
  if (b[0].startsWith('$ npx mb-sync apply')) {
    const start = b.findIndex((l) => l.startsWith('mb-sync plan:'));
    const end = b.findIndex((l) => l.startsWith('Plan:'));
    if (start >= 0 && end > start) {
      const objects = b.slice(start, end).filter((l) => /^[+~-] /.test(l)).length;
      b = [...b.slice(0, start + 1), '', `[… the plan of ${objects} objects, printed as \`mb-sync plan\` prints it, elided here …]`, '', ...b.slice(end)];
    }
  }
  return b.filter((l, i) => !(l === '' && b[i - 1] === '')).join('\n').trimEnd();
});
console.log(`# A terminal session: plan → interactive apply → Ctrl-C → apply

Recorded by \`bash scripts/record-session.sh\`: tmux running the commands below against
\`npm run demo-server\` (the test suite's fake Metabase with the Phoenix catalog, 250 ms per request so
that Ctrl-C lands in the middle of the apply), from the repository root. The text is what the terminal
showed (\`tmux capture-pane\`); the plan printed again before each apply's prompt is replaced by a
marked line. On a terminal the status line \`[n/N] elapsed · objects in flight\` is redrawn in place and
does not remain in the capture; what remains is one line per finished object.

\`\`\`console
${parts.join('\n\n')}
\`\`\``);
EOF
rm -f "$envfile.txt"
echo "wrote docs/terminal-session.md" >&2
