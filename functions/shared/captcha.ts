import { TemporarilyUnavailableError } from '../../core/errors';
import { CaptchaFailedError, captchaVerifyUrls, siteverifyAnswerSchema, type CaptchaSettings } from '../../core/captcha';
import { logger } from './observability';

/** siteverify answers in well under a second; past this the submission is refused with 503 and may be retried. */
const VERIFY_TIMEOUT_MS = 3_000;

/**
 * Checks a CAPTCHA token with the provider's siteverify endpoint: a missing or rejected token is
 * 403 `captcha_failed`; an endpoint that is down or answers nonsense is 503 (the visitor may
 * retry; nothing was stored).
 */
export async function verifyCaptcha(settings: CaptchaSettings, token: string | undefined, remoteIp: string | undefined): Promise<void> {
  if (!token) throw new CaptchaFailedError('complete the CAPTCHA and submit again');
  const body = new URLSearchParams({ secret: settings.secret, response: token });
  if (remoteIp) body.set('remoteip', remoteIp);
  let answer: unknown;
  try {
    const response = await fetch(settings.verifyUrl ?? captchaVerifyUrls[settings.provider], {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(VERIFY_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`siteverify answered ${response.status}`);
    answer = await response.json();
  } catch (error) {
    logger.warn('CAPTCHA verification unavailable', { provider: settings.provider, error: { name: (error as Error).name } });
    throw new TemporarilyUnavailableError('the CAPTCHA could not be checked right now; nothing was stored, please retry');
  }
  const parsed = siteverifyAnswerSchema.safeParse(answer);
  if (!parsed.success) {
    logger.warn('CAPTCHA verification answered an unexpected body', { provider: settings.provider });
    throw new TemporarilyUnavailableError('the CAPTCHA could not be checked right now; nothing was stored, please retry');
  }
  if (!parsed.data.success) {
    logger.info('CAPTCHA rejected', { provider: settings.provider, errorCodes: parsed.data['error-codes'] ?? [] });
    throw new CaptchaFailedError('the CAPTCHA was not solved or has expired; solve it again and resubmit');
  }
}
