{{/* Chart name. */}}
{{- define "upf.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name. */}}
{{- define "upf.fullname" -}}
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

{{- define "upf.selectorLabels" -}}
app.kubernetes.io/name: {{ include "upf.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "upf.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "upf.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: user-plane
{{- end }}

{{/* The roles the chart knows, in order. */}}
{{- define "upf.roles" -}}n3 n6 n9{{- end }}

{{/*
The NetworkAttachmentDefinition name of a role.
Call with (dict "root" $ "role" "n3").
*/}}
{{- define "upf.networkName" -}}
{{- $n := index .root.Values.networks .role -}}
{{- if $n.existing -}}
{{- $n.existing -}}
{{- else -}}
{{- printf "%s-%s" (include "upf.fullname" .root) .role | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end }}

{{/*
Prefix length of the first IPv4 (family "4") or IPv6 (family "6") address
of a role, or the default. Call with (dict "n" $n "family" "4" "default" 24).
*/}}
{{- define "upf.prefix" -}}
{{- $out := .default -}}
{{- $found := false -}}
{{- range .n.addresses -}}
{{- $isV6 := contains ":" . -}}
{{- if and (not $found) (eq $isV6 (eq $.family "6")) -}}
{{- $out = last (splitList "/" .) -}}
{{- $found = true -}}
{{- end -}}
{{- end -}}
{{- $out -}}
{{- end }}

{{/* Hugepages resource name and volume medium. */}}
{{- define "upf.hugepagesResource" -}}
hugepages-{{ .Values.hugepages.size }}
{{- end }}

{{/* The Multus networks annotation value (JSON list). */}}
{{- define "upf.networksAnnotation" -}}
{{- $list := list -}}
{{- range $role := splitList " " (include "upf.roles" .) -}}
{{- $n := index $.Values.networks $role -}}
{{- if $n.enabled -}}
{{- $list = append $list (dict "name" (include "upf.networkName" (dict "root" $ "role" $role)) "interface" $n.interface) -}}
{{- end -}}
{{- end -}}
{{- toJson $list -}}
{{- end }}

{{- define "upf.validate" -}}
{{- if not (has .Values.dataplane.mode (list "sriov" "kernel")) }}
{{- fail "dataplane.mode must be sriov or kernel" }}
{{- end }}
{{- if not (has .Values.dataplane.kernelDriver (list "af_packet" "af_xdp")) }}
{{- fail "dataplane.kernelDriver must be af_packet or af_xdp" }}
{{- end }}
{{- if not (and .Values.networks.n3.enabled .Values.networks.n6.enabled) }}
{{- fail "networks.n3 and networks.n6 must be enabled" }}
{{- end }}
{{- if ne (int .Values.replicas) 1 }}
{{- fail "replicas must be 1: a UPF pod owns its VFs and static addresses" }}
{{- end }}
{{- if not (regexMatch "^[0-9]+$" (toString .Values.resources.cpu)) }}
{{- fail "resources.cpu must be an integer (exclusive CPUs need integer Guaranteed requests)" }}
{{- end }}
{{- if lt (int .Values.resources.cpu) 2 }}
{{- fail "resources.cpu must be at least 2 (one control CPU and one worker)" }}
{{- end }}
{{- if and .Values.hugepages.enabled (not (has .Values.hugepages.size (list "2Mi" "1Gi"))) }}
{{- fail "hugepages.size must be 2Mi or 1Gi" }}
{{- end }}
{{- end }}
