/**
 * The pull-request comment of the GitHub Action (action.yml): one comment per pull request and
 * marker, created the first time and edited on every later run, through GitHub's REST API with the
 * job's token. A 403 or 404 (a fork's read-only token, no `pull-requests: write`) is a warning: the
 * step summary still has the report. The token is sent in the Authorization header only, and never
 * appears in a message this module returns or throws.
 */

export interface CommentTarget {
  /** https://api.github.com, or GITHUB_API_URL (GitHub Enterprise) */
  apiUrl: string;
  /** owner/name */
  repository: string;
  /** the pull request's number (its issue number) */
  issue: number;
  token: string;
}

export type UpsertResult = { action: 'created' | 'updated'; id: number; url: string } | { action: 'skipped'; warning: string };

/** The hidden line that finds the comment again: one per marker name (several jobs, one comment each). */
export const commentMarker = (name = 'default') => `<!-- pg-rehearse-comment: ${name.replace(/-->/g, '')} -->`;

/** GitHub's limit on a comment's body, in characters. */
export const COMMENT_MAX = 65_536;

/** The comment's body: the marker first, then the Markdown, cut (with a note) to fit GitHub's limit. */
export function commentBody(markdown: string, marker: string, note = '\n\n_(cut: the full report is in the job summary and the artifacts)_\n'): string {
  const head = `${marker}\n`;
  if (head.length + markdown.length <= COMMENT_MAX) return head + markdown;
  return head + markdown.slice(0, COMMENT_MAX - head.length - note.length) + note;
}

/** Every occurrence of the token in a text replaced, whatever a server echoed back. */
export function redact(text: string, token: string): string {
  return token ? text.split(token).join('***') : text;
}

interface Comment {
  id: number;
  body?: string;
  html_url: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Create the comment, or edit the one that carries the marker. */
export async function upsertComment(target: CommentTarget, body: string, marker: string): Promise<UpsertResult> {
  const base = `${target.apiUrl.replace(/\/+$/, '')}/repos/${target.repository}`;
  const call = async <T>(method: string, url: string, payload?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${target.token}`,
          'x-github-api-version': '2022-11-28',
          'user-agent': 'pg-rehearse-action',
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
        ...(payload ? { body: JSON.stringify(payload) } : {}),
      });
    } catch (err) {
      throw new Error(redact(`GitHub API ${method} ${url}: ${(err as Error).message}`, target.token));
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const detail = (() => {
        try {
          return String((JSON.parse(text) as { message?: unknown }).message ?? '');
        } catch {
          return text.slice(0, 200);
        }
      })();
      throw new HttpError(res.status, redact(`GitHub API ${method} ${url}: ${res.status} ${res.statusText}${detail ? `: ${detail}` : ''}`, target.token));
    }
    return (await res.json()) as T;
  };
  try {
    const existing = await findComment(call, `${base}/issues/${target.issue}/comments`, marker);
    if (existing) {
      const c = await call<Comment>('PATCH', `${base}/issues/comments/${existing.id}`, { body });
      return { action: 'updated', id: c.id, url: c.html_url };
    }
    const c = await call<Comment>('POST', `${base}/issues/${target.issue}/comments`, { body });
    return { action: 'created', id: c.id, url: c.html_url };
  } catch (err) {
    if (err instanceof HttpError && (err.status === 403 || err.status === 404)) {
      return {
        action: 'skipped',
        warning: `${err.message} — the token cannot comment on this pull request (a fork's read-only token, or no "pull-requests: write" permission); the report is in the job summary`,
      };
    }
    throw err;
  }
}

/** The first comment (oldest first, 100 a page, at most 30 pages) whose body carries the marker. */
async function findComment(call: <T>(method: string, url: string) => Promise<T>, url: string, marker: string): Promise<Comment | undefined> {
  for (let page = 1; page <= 30; page++) {
    const comments = await call<Comment[]>('GET', `${url}?per_page=100&page=${page}`);
    const found = comments.find((c) => c.body?.includes(marker));
    if (found) return found;
    if (comments.length < 100) return undefined;
  }
  return undefined;
}
