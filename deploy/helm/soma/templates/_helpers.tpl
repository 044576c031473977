{{/* The name prefix of every object. */}}
{{- define "soma.fullname" -}}
{{- default "soma" .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "soma.labels" -}}
app.kubernetes.io/name: soma
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: soma
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "soma.selectorLabels" -}}
app.kubernetes.io/name: soma
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "soma.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "soma.serviceAccountName" -}}
{{- default (include "soma.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/*
The processes this release runs: name (the Deployment and Service), component (a label), the --roles value, the
values section of its pod settings, whether it calls the model (the sandbox and the model egress follow it) and
whether it reaches soma-memory over HTTP.
*/}}
{{- define "soma.components" -}}
{{- $name := include "soma.fullname" . -}}
{{- if eq .Values.mode "allInOne" -}}
- {name: {{ $name }}, component: all-in-one, roles: "gateway,worker,relay,sync,memory", values: allInOne, gateway: true, worker: true, memoryClient: false}
{{- else -}}
- {name: {{ $name }}-gateway, component: gateway, roles: gateway, values: gateway, gateway: true, worker: false, memoryClient: true}
- {name: {{ $name }}-worker, component: worker, roles: worker, values: worker, gateway: false, worker: true, memoryClient: true}
- {name: {{ $name }}-relay, component: relay, roles: "relay,sync", values: relay, gateway: false, worker: false, memoryClient: true}
- {name: {{ $name }}-memory, component: memory, roles: memory, values: memoryService, gateway: false, worker: false, memoryClient: false}
{{- end -}}
{{- end -}}

{{/* The Service clients and the Ingress reach: the gateway's, or the all-in-one one. */}}
{{- define "soma.entryService" -}}
{{- if eq .Values.mode "allInOne" }}{{ include "soma.fullname" . }}{{ else }}{{ include "soma.fullname" . }}-gateway{{ end -}}
{{- end -}}

{{- define "soma.connectionsSecret" -}}{{ include "soma.fullname" . }}-connections{{- end -}}
{{- define "soma.signingKeySecret" -}}{{ default (printf "%s-signing-key" (include "soma.fullname" .)) .Values.auth.signingKey.existingSecret }}{{- end -}}
{{- define "soma.configMap" -}}{{ include "soma.fullname" . }}-config{{- end -}}

{{/* Refuses a configuration that cannot work, naming the value to set. */}}
{{- define "soma.validate" -}}
{{- if and (not .Values.store.postgres.connectionString) (not .Values.store.postgres.existingSecret) -}}
{{- fail "store.postgres.connectionString or store.postgres.existingSecret is required: SomaAgent on Kubernetes keeps its state in PostgreSQL" -}}
{{- end -}}
{{- if and .Values.store.postgres.connectionString .Values.store.postgres.existingSecret -}}
{{- fail "set only one of store.postgres.connectionString and store.postgres.existingSecret" -}}
{{- end -}}
{{- if and (eq .Values.mode "roles") (not .Values.bus.nats.url) -}}
{{- fail "bus.nats.url is required in mode roles: gateways, workers and relays share events through NATS JetStream" -}}
{{- end -}}
{{- if and (eq .Values.mode "allInOne") (not .Values.bus.nats.url) (gt (int .Values.allInOne.replicas) 1) -}}
{{- fail "bus.nats.url is required when allInOne.replicas is above 1: several processes share events through NATS JetStream" -}}
{{- end -}}
{{- if and (not .Values.auth.signingKey.hs256) (not .Values.auth.signingKey.existingSecret) (not .Values.auth.signingKey.ring) -}}
{{- fail "auth.signingKey.hs256 (base64 of 32 random bytes: head -c 32 /dev/urandom | base64) or auth.signingKey.existingSecret is required: every process must verify the same tokens" -}}
{{- end -}}
{{- if and (or .Values.auth.signingKey.hs256 .Values.auth.signingKey.ring) .Values.auth.signingKey.existingSecret -}}
{{- fail "set auth.signingKey.existingSecret, or the chart's own keys (auth.signingKey.hs256, auth.signingKey.ring), not both" -}}
{{- end -}}
{{- if and .Values.auth.signingKey.hs256 (lt (len (.Values.auth.signingKey.hs256 | b64dec)) 32) -}}
{{- fail "auth.signingKey.hs256 must be the base64 of at least 32 bytes (head -c 32 /dev/urandom | base64)" -}}
{{- end -}}
{{- if and .Values.model.baseUrl (not .Values.model.name) -}}
{{- fail "model.name is required with model.baseUrl: the model id sent to the endpoint" -}}
{{- end -}}
{{- end -}}

{{/* Whether the chart's connections Secret has anything to hold. */}}
{{- define "soma.hasConnectionsSecret" -}}
{{- if or .Values.store.postgres.connectionString .Values.model.apiKey .Values.memory.client.token }}true{{ end -}}
{{- end -}}

{{/* Pod-level security: non-root, seccomp RuntimeDefault (user-namespaced for the sandbox when asked). */}}
{{- define "soma.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security; the sandbox switch relaxes seccomp, AppArmor and /proc for sandboxing pods only. */}}
{{- define "soma.containerSecurityContext" -}}
{{- $sandbox := and .sandboxed .root.Values.sandbox.enabled -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
{{- if $sandbox }}
procMount: Unmasked
seccompProfile:
  type: {{ .root.Values.sandbox.seccompProfile.type }}
  {{- if eq .root.Values.sandbox.seccompProfile.type "Localhost" }}
  localhostProfile: {{ .root.Values.sandbox.seccompProfile.localhostProfile | quote }}
  {{- end }}
appArmorProfile:
  type: {{ .root.Values.sandbox.appArmorProfile.type }}
  {{- if eq .root.Values.sandbox.appArmorProfile.type "Localhost" }}
  localhostProfile: {{ .root.Values.sandbox.appArmorProfile.localhostProfile | quote }}
  {{- end }}
{{- else }}
seccompProfile:
  type: RuntimeDefault
{{- end }}
{{- end -}}

{{/* The environment every soma container gets: the ConfigMap, then the secrets. */}}
{{- define "soma.env" -}}
{{- $root := .root -}}
envFrom:
  - configMapRef:
      name: {{ include "soma.configMap" $root }}
env:
  # The signing keys: the Secret mounted as a watched folder (a *.key legacy HS256 key, <kid>.json keys), read again
  # while the server runs, so a rotation is an edit of the Secret (docs/operations/key-rotation.md).
  - name: SOMA__AUTH__KEYS__SOURCE
    value: Directory
  - name: SOMA__AUTH__KEYS__DIRECTORY
    value: /etc/soma/keys
  - name: SOMA__STORE__POSTGRES__CONNECTIONSTRING
    valueFrom:
      secretKeyRef:
        name: {{ default (include "soma.connectionsSecret" $root) $root.Values.store.postgres.existingSecret }}
        key: {{ $root.Values.store.postgres.existingSecretKey }}
{{- if and .modelClient (or $root.Values.model.apiKey $root.Values.model.existingSecret) }}
  - name: SOMA__MODELS__ENDPOINTS__MAIN__APIKEY
    valueFrom:
      secretKeyRef:
        name: {{ default (include "soma.connectionsSecret" $root) $root.Values.model.existingSecret }}
        key: {{ $root.Values.model.existingSecretKey }}
{{- end }}
{{- if .memoryClient }}
  - name: SOMA__MEMORY__CLIENT__BASEURL
    value: {{ printf "http://%s-memory:8080" (include "soma.fullname" $root) | quote }}
{{- if or $root.Values.memory.client.token $root.Values.memory.client.existingSecret }}
  - name: SOMA__MEMORY__CLIENT__APIKEY
    valueFrom:
      secretKeyRef:
        name: {{ default (include "soma.connectionsSecret" $root) $root.Values.memory.client.existingSecret }}
        key: {{ $root.Values.memory.client.existingSecretKey }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The writable folders (/data, /tmp) and the signing keys (the whole Secret, no subPath: the kubelet updates it). */}}
{{- define "soma.volumes" -}}
- name: data
  emptyDir: {}
- name: tmp
  emptyDir: {}
- name: signing-keys
  secret:
    secretName: {{ include "soma.signingKeySecret" . }}
    defaultMode: 0440
{{- end -}}

{{- define "soma.volumeMounts" -}}
- name: data
  mountPath: /data
- name: tmp
  mountPath: /tmp
- name: signing-keys
  mountPath: /etc/soma/keys
  readOnly: true
{{- end -}}
