import QRCode from 'qrcode';

/** What to do with the login QR, shown under the image. */
export const QR_CAPTION =
  'Scan this with WhatsApp on the business phone: Settings → Linked devices → Link a device.';

/** The WhatsApp login QR as a 400-pixel PNG image. */
export async function renderQrPng(qr: string): Promise<Buffer> {
  return QRCode.toBuffer(qr, { type: 'png', width: 400, margin: 2 });
}
