// Outgoing mail, only when the operator configures an SMTP server
// (GATEHOUSE_SMTP_URL). Without one, nothing is mailed and the portal shows
// what it would have sent (a reset link) for the admin to pass on.
import nodemailer from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

export function smtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
  };
}
