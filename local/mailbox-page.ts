/**
 * The control plane's `/mailbox` page: every message sent through SES local, newest first, with
 * buttons that mark it opened, clicked, bounced or complained (they POST to
 * `/ses/messages/{messageId}/events`, which publishes the SES event). Plain HTML and a few lines of
 * inline script, no external assets.
 */
import type { SentMessage } from './ses-events';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export function mailboxPage(messages: SentMessage[], subjects: Map<string, string>): string {
  const rows = messages
    .map((message) => {
      const tag = (name: string) => message.tags[name]?.[0];
      const about = [
        tag('template') && `template ${tag('template')}`,
        tag('campaign') && `campaign ${tag('campaign')} step ${tag('step') ?? '?'}`,
        tag('recipient') === 'team' && 'to the team',
      ]
        .filter(Boolean)
        .join(', ');
      const id = escape(message.messageId);
      return `<tr>
  <td>${escape(message.timestamp.replace('T', ' ').slice(0, 19))}</td>
  <td>${escape(message.destination.join(', '))}</td>
  <td>${escape(subjects.get(message.messageId) ?? '')}<br><small>${escape(about)}</small></td>
  <td class="events">${escape(message.published.join(', '))}</td>
  <td>
    <button data-id="${id}" data-type="open">Opened</button>
    <button data-id="${id}" data-type="click">Clicked</button>
    <button data-id="${id}" data-type="bounce">Hard bounce</button>
    <button data-id="${id}" data-type="complaint">Complaint</button>
  </td>
</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>leadflow local mailbox</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 2rem; color: #222; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
  small { color: #666; }
  .events { color: #0a5; }
  button { margin: 0 .2rem .2rem 0; }
</style>
</head>
<body>
<h1>Local mailbox</h1>
<p>Every email sent through SES local. SES local publishes no events: mark a message opened, clicked,
bounced or complained, and the local cloud publishes that SES event through the app's own event rule.</p>
<table>
<thead><tr><th>Sent (UTC)</th><th>To</th><th>Subject</th><th>Events published</th><th>Mark as</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="5">No email sent yet.</td></tr>'}
</tbody>
</table>
<script>
  for (const button of document.querySelectorAll('button[data-id]')) {
    button.addEventListener('click', async () => {
      button.disabled = true;
      const response = await fetch('/ses/messages/' + encodeURIComponent(button.dataset.id) + '/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: button.dataset.type }),
      });
      if (!response.ok) alert((await response.json()).message);
      location.reload();
    });
  }
</script>
</body>
</html>
`;
}
