"use client";
import Hls, { type ErrorData } from "hls.js";
import { useCallback, useEffect, useRef, useState } from "react";
import { mintPlayerTokenAction } from "./actions";

interface Props {
  manifestUrl: string;
  encrypted: boolean;
  account: { subscriptionId: string; resourceGroup: string; name: string };
  locator: string;
}

/** The refusal a response carried: its ARM-style error JSON, in words. */
function refusalOf(data: ErrorData): string {
  const status = data.response?.code ?? 0;
  const details = data.networkDetails as XMLHttpRequest | undefined;
  let body = "";
  try {
    const raw = details?.response as unknown;
    body = raw instanceof ArrayBuffer ? new TextDecoder().decode(raw) : String(details?.responseText ?? "");
    const error = (JSON.parse(body) as { error?: { code?: string; message?: string } }).error;
    if (error) return `HTTP ${status} ${error.code}: ${error.message}`;
  } catch {
    // Not JSON: the status says what there is to say.
  }
  return status ? `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ""}` : data.details;
}

function describe(data: ErrorData): string {
  if (data.details === Hls.ErrorDetails.KEY_LOAD_ERROR || data.details === Hls.ErrorDetails.KEY_LOAD_TIMEOUT)
    return `Key refused: key delivery did not give the content key (${refusalOf(data)}).`;
  if (data.type === Hls.ErrorTypes.NETWORK_ERROR)
    return `Stream refused: the streaming endpoint did not serve it (${refusalOf(data)}).`;
  if (data.type === Hls.ErrorTypes.MEDIA_ERROR) return `The stream does not play (${data.details}).`;
  return `Playback failed (${data.details}).`;
}

/** hls.js (bundled from npm) playing the locator's HLS stream, with a token for key delivery when the stream is encrypted. */
export function Player({ manifestUrl, encrypted, account, locator }: Props) {
  const video = useRef<HTMLVideoElement>(null);
  const [status, setStatus] = useState("loading");
  const [errors, setErrors] = useState<string[]>([]);
  const [run, setRun] = useState(0);
  const fail = useCallback((message: string) => {
    setStatus("error");
    setErrors((e) => [...e, message]);
  }, []);

  useEffect(() => {
    let hls: Hls | null = null;
    let ended = false;
    void (async () => {
      let token: string | null = null;
      if (encrypted) {
        const form = new FormData();
        for (const [k, v] of Object.entries({ ...account, locator })) form.set(k, v);
        const minted = await mintPlayerTokenAction(null, form);
        if (minted.ok) token = minted.message ?? null;
        else fail(`Token refused: ${minted.message}`);
      }
      if (ended || !video.current) return;
      if (!Hls.isSupported()) return fail("This browser has no Media Source Extensions: HLS cannot play here.");
      hls = new Hls({
        xhrSetup(xhr, url) {
          if (token && url.includes("/keydelivery/")) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
        },
      });
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal || data.details === Hls.ErrorDetails.KEY_LOAD_ERROR) fail(describe(data));
      });
      hls.on(Hls.Events.MANIFEST_PARSED, () => {
        setStatus("ready");
        void video.current?.play().catch(() => setStatus("ready: press play"));
      });
      hls.loadSource(manifestUrl);
      hls.attachMedia(video.current);
    })();
    return () => {
      ended = true;
      hls?.destroy();
    };
  }, [manifestUrl, encrypted, account, locator, fail, run]);

  return (
    <div>
      <video
        ref={video}
        data-testid="player-video"
        controls
        muted
        playsInline
        style={{ width: "100%", maxWidth: 640, background: "#000" }}
        onPlaying={() => setStatus("playing")}
      />
      <p>
        Status: <strong data-testid="player-status">{status}</strong>{" "}
        <button
          type="button"
          onClick={() => {
            setErrors([]);
            setStatus("loading");
            setRun((r) => r + 1);
          }}
        >
          Play again
        </button>
      </p>
      {errors.length > 0 && (
        <ul className="notice bad" role="alert" data-testid="player-errors">
          {errors.map((e, i) => (
            <li key={i}>{e}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
