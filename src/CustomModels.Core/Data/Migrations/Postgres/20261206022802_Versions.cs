using System;
using CustomModels.Core.Versions;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CustomModels.Core.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Versions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "ModelVersion",
                table: "transcriptions",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "ActivateAlways",
                table: "training_jobs",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "ActiveVersion",
                table: "custom_models",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "LastVersion",
                table: "custom_models",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "StatusNote",
                table: "custom_models",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "model_versions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ModelId = table.Column<long>(type: "bigint", nullable: false),
                    Version = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    JobId = table.Column<long>(type: "bigint", nullable: true),
                    ArtifactName = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    EvaluationSource = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DataIds = table.Column<string>(type: "text", nullable: false),
                    WordErrorRate = table.Column<double>(type: "double precision", nullable: true),
                    BaseWordErrorRate = table.Column<double>(type: "double precision", nullable: true),
                    AccuracyImprovement = table.Column<double>(type: "double precision", nullable: true),
                    CharacterErrorRate = table.Column<double>(type: "double precision", nullable: true),
                    TrainingHours = table.Column<double>(type: "double precision", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_model_versions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_model_versions_custom_models_ModelId",
                        column: x => x.ModelId,
                        principalTable: "custom_models",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_model_versions_ModelId_Version",
                table: "model_versions",
                columns: new[] { "ModelId", "Version" },
                unique: true);

            migrationBuilder.Sql(VersionsMigration.Postgres);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(VersionsMigration.DownPostgres);

            migrationBuilder.DropTable(
                name: "model_versions");

            migrationBuilder.DropColumn(
                name: "ModelVersion",
                table: "transcriptions");

            migrationBuilder.DropColumn(
                name: "ActivateAlways",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "ActiveVersion",
                table: "custom_models");

            migrationBuilder.DropColumn(
                name: "LastVersion",
                table: "custom_models");

            migrationBuilder.DropColumn(
                name: "StatusNote",
                table: "custom_models");
        }
    }
}
