"use client";
import { startTransition, useActionState, type FormEvent } from "react";
import type { ActionResult } from "@/lib/actions/authenticated-action";

type FormAction = (previous: ActionResult | null, form: FormData) => Promise<ActionResult>;

/**
 * useActionState for a form whose fields must survive a refusal: a form given to `action` is
 * reset by React once the action returns, which cleared what the user typed while the error still
 * quoted it. Submitting from onSubmit leaves every field as the user left it.
 */
export function useKeptFormAction(action: FormAction) {
  const [result, dispatch, pending] = useActionState<ActionResult | null, FormData>(action, null);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    startTransition(() => dispatch(form));
  };
  return { result, onSubmit, pending };
}
