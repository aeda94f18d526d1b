/**
 * Where alerts go: Alertmanager's receivers, built from the secrets a stack sets. The webhook URL and routing key
 * are never in chart values or the Alertmanager config: they sit in a Secret that the operator mounts into the
 * Alertmanager pods (`alertmanagerSpec.secrets`, mounted at /etc/alertmanager/secrets/<name>/), and the config names
 * the files (`api_url_file`, `routing_key_file`; checked with amtool check-config of Alertmanager 0.25).
 */

/** The Secret holding the receivers' credentials, in the monitoring namespace. */
export const RECEIVERS_SECRET = "alertmanager-receivers";
/** Its keys. */
export const RECEIVER_KEYS = { slack: "slack-webhook-url", pagerDuty: "pagerduty-routing-key" } as const;

const secretFile = (key: string) => `/etc/alertmanager/secrets/${RECEIVERS_SECRET}/${key}`;

export interface ReceiverChoice {
  slack: boolean;
  pagerDuty: boolean;
}

/**
 * The chart's `alertmanager.config` route and receivers: critical alerts page (PagerDuty when set, else Slack),
 * warnings go to Slack (else PagerDuty). The chart's Watchdog alert (always firing, by design) goes nowhere.
 * Undefined when no receiver is configured: the chart's default sends everything to its `null` receiver.
 */
export function alertmanagerConfig(receivers: ReceiverChoice) {
  if (!receivers.slack && !receivers.pagerDuty) return undefined;
  const slack = { name: "slack", slack_configs: [{ api_url_file: secretFile(RECEIVER_KEYS.slack), send_resolved: true }] };
  const pagerDuty = { name: "pagerduty", pagerduty_configs: [{ routing_key_file: secretFile(RECEIVER_KEYS.pagerDuty), send_resolved: true }] };
  const critical = receivers.pagerDuty ? pagerDuty.name : slack.name;
  const warning = receivers.slack ? slack.name : pagerDuty.name;
  return {
    route: {
      receiver: warning,
      routes: [
        { receiver: "null", matchers: ['alertname = "Watchdog"'] },
        { receiver: critical, matchers: ['severity = "critical"'] },
      ],
    },
    receivers: [{ name: "null" }, ...(receivers.slack ? [slack] : []), ...(receivers.pagerDuty ? [pagerDuty] : [])],
  };
}

/** The line the render prints when alerts would reach no one. */
export const NO_RECEIVER_WARNING =
  "monitoring: Alertmanager has no receiver, so alerts reach no one; name slack or pagerduty in ai-assistant:monitoring.alertReceivers and set its secret (alertSlackWebhookUrl, alertPagerDutyRoutingKey)";
