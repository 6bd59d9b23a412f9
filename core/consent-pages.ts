import { escapeHtml } from './email-templates';

/**
 * The small HTML pages behind the links in emails. A GET only shows a page with a button: mail
 * scanners and link previews follow links, and must never unsubscribe or confirm anyone.
 */
export interface ConsentPage {
  title: string;
  message: string;
  /** A button that POSTs back to the same URL, with these fields. */
  button?: { label: string; fields: Record<string, string> };
}

export function renderConsentPage(page: ConsentPage): string {
  const button = page.button
    ? `<form method="post">${Object.entries(page.button.fields)
        .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
        .join('')}<button type="submit">${escapeHtml(page.button.label)}</button></form>`
    : '';
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<meta name="robots" content="noindex"><title>${escapeHtml(page.title)}</title>` +
    '<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}' +
    'button{font-size:1rem;padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#1d4ed8;color:#fff;cursor:pointer}</style>' +
    `</head><body><main><h1>${escapeHtml(page.title)}</h1><p id="message">${escapeHtml(page.message)}</p>${button}</main></body></html>`
  );
}

export const consentPages = {
  invalidLink: {
    title: 'This link does not work',
    message: 'The link is not valid or has expired. Nothing was changed.',
  },
  unsubscribeAsk: {
    title: 'Unsubscribe',
    message: 'Do you want to stop receiving marketing email from us?',
    button: { label: 'Unsubscribe', fields: { 'List-Unsubscribe': 'One-Click', from: 'page' } },
  },
  unsubscribed: {
    title: 'You are unsubscribed',
    message: 'You will get no more marketing email from us.',
  },
  confirmAsk: {
    title: 'Confirm your subscription',
    message: 'Please confirm that you want to hear from us by email.',
    button: { label: 'Confirm my subscription', fields: { confirm: 'yes' } },
  },
  confirmed: {
    title: 'Subscription confirmed',
    message: 'Thank you: your subscription is confirmed. You can unsubscribe from any of our emails with one click.',
  },
} satisfies Record<string, ConsentPage>;
