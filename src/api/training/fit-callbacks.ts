/** The callbacks a fit() runs: the user's, the History it returns, and a progress bar. */
import { CallbackList, History, type Callback } from '../callbacks.js';
import { ProgbarLogger } from '../progress.js';

export function fitCallbacks(user: readonly Callback[], verbose: number): { history: History; list: CallbackList } {
  const history = new History();
  // A ProgbarLogger among the user's callbacks replaces the default one, as in Keras.
  const hasBar = user.some((c) => c instanceof ProgbarLogger);
  const list = [...user, history, ...(verbose > 0 && !hasBar ? [new ProgbarLogger(verbose)] : [])];
  return { history, list: new CallbackList(list) };
}
