import { createSignal } from "solid-js";

/** A question the app asks in its own dialog (components/ConfirmDialog.tsx), never `confirm()`. */
export interface ConfirmOptions {
  title: string;
  body?: string;
  /** The confirming button's label: the action itself ("Delete", "Remove"), not "OK". */
  action: string;
  danger?: boolean;
}

export interface ConfirmRequest extends ConfirmOptions {
  answer(ok: boolean): void;
}

/** One question at a time; asking again answers the previous one "no". */
export function createConfirm() {
  const [confirmRequest, setRequest] = createSignal<ConfirmRequest | null>(null);
  const confirm = (o: ConfirmOptions): Promise<boolean> =>
    new Promise((resolve) => {
      confirmRequest()?.answer(false);
      const req: ConfirmRequest = {
        ...o,
        answer: (ok) => {
          if (confirmRequest() === req) setRequest(null);
          resolve(ok);
        },
      };
      setRequest(req);
    });
  return { confirmRequest, confirm };
}
