{{- define "eco.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "eco.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "eco.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eco.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "eco.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "eco.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "eco.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "eco.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "eco.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The rules the operator needs on objects in a namespace it watches: only the verbs it uses. */}}
{{- define "eco.namespacedRules" -}}
# get: a RedisSnapshot reads the RedisCluster it is taken of, a restore the RedisSnapshot it names;
# create: a final snapshot gets a RedisSnapshot.
- apiGroups: [redis.elasticache-operator.io]
  resources: [redisclusters]
  verbs: [get, list, watch, patch]
- apiGroups: [redis.elasticache-operator.io]
  resources: [redissnapshots]
  verbs: [get, list, watch, patch, create]
- apiGroups: [redis.elasticache-operator.io]
  resources: [redisclusters/status, redissnapshots/status]
  verbs: [patch]
- apiGroups: [redis.elasticache-operator.io]
  resources: [redisclusters/finalizers]
  verbs: [update]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- if .Values.aws.manageSecurityGroups }}
- apiGroups: [vpcresources.k8s.aws]
  resources: [securitygrouppolicies]
  verbs: [get, create, patch, delete]
{{- end }}
{{- end }}
