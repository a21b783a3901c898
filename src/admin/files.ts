import type { Api, RawApi } from 'grammy';

/** The file is larger than the caller accepts; tell the admin the limit. */
export class FileTooLargeError extends Error {
  override name = 'FileTooLargeError';

  constructor(readonly maxBytes: number) {
    super(`the file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB`);
  }
}

/**
 * Downloads a file an admin sent: asks Telegram for its path (getFile), then fetches
 * `<apiRoot>/file/bot<token>/<path>`, stopping with {@link FileTooLargeError} once
 * more than `maxBytes` arrive (or when Telegram already says it is larger).
 */
export async function downloadTelegramFile(
  api: Api<RawApi>,
  apiRoot: string,
  token: string,
  fileId: string,
  maxBytes: number,
): Promise<Buffer> {
  const file = await api.getFile(fileId);
  if (file.file_size !== undefined && file.file_size > maxBytes)
    throw new FileTooLargeError(maxBytes);
  if (!file.file_path) throw new Error('Telegram did not give a download path for the file');

  const response = await fetch(`${apiRoot}/file/bot${token}/${file.file_path}`);
  if (!response.ok || !response.body)
    throw new Error(`file download failed with HTTP ${response.status}`);

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) throw new FileTooLargeError(maxBytes);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
